namespace ModernMail.Deliverability;

/// <summary>Everything the doctor found about one setup.</summary>
/// <param name="Setup">The setup that was checked.</param>
/// <param name="Checks">The checks in report order.</param>
public sealed record DoctorReport(DeliverabilitySetup Setup, IReadOnlyList<DoctorCheck> Checks)
{
    /// <summary>True when no check failed (warnings allowed); the CLI exits 0 exactly then.</summary>
    public bool IsOk => !Checks.Any(c => c.Status == CheckStatus.Fail);
}
