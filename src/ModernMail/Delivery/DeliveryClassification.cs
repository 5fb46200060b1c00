namespace ModernMail.Delivery;

/// <summary>The decision of <see cref="DeliveryClassifier"/> on one reply or failure.</summary>
/// <param name="Outcome">Delivered, transient (retry) or permanent (bounce).</param>
/// <param name="Category">Why it was not delivered; <see cref="BounceCategory.None"/> when it was.</param>
/// <param name="Rule">The id of the rule that decided, or null when no rule matched and the reply code alone decided.</param>
public readonly record struct DeliveryClassification(DeliveryOutcome Outcome, BounceCategory Category, string? Rule = null);
