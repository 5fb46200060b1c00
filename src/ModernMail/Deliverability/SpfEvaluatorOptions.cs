namespace ModernMail.Deliverability;

/// <summary>Settings of an <see cref="SpfEvaluator"/>.</summary>
public sealed class SpfEvaluatorOptions
{
    /// <summary>The receiving host's name, used by the %{r} macro in explanations; "unknown" by default.</summary>
    public string ReceivingHost { get; set; } = "unknown";

    /// <summary>The clock for the %{t} macro.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>The most DNS-querying terms (include, a, mx, ptr, exists, redirect) one check may evaluate; RFC 7208 §4.6.4 says 10.</summary>
    public int MaxDnsLookups { get; set; } = 10;

    /// <summary>The most lookups that may return no records before the check is a permerror; RFC 7208 §4.6.4 suggests 2.</summary>
    public int MaxVoidLookups { get; set; } = 2;
}
