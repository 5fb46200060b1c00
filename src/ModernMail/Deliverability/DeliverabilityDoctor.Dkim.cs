using ModernMail.Deliverability.Internal;
using ModernMail.Dkim;

namespace ModernMail.Deliverability;

public sealed partial class DeliverabilityDoctor
{
    private const string DkimArea = "DKIM";

    // The verifier's default floor (DkimVerifierOptions.MinimumRsaKeyBits, RFC 8301 §3.2).
    private static readonly int s_minimumRsaKeyBits = new DkimVerifierOptions().MinimumRsaKeyBits;

    private sealed record DkimCheckResult(IReadOnlyList<DoctorCheck> Checks, bool Usable);

    private async Task<DkimCheckResult> CheckDkimAsync(DeliverabilitySetup setup, CancellationToken cancellationToken)
    {
        if (setup.DkimSelector is not { Length: > 0 } selector)
        {
            return new([new DoctorCheck(DkimArea, CheckStatus.Warn, "no DKIM selector given: mail is not DKIM-signed, so DMARC rests on SPF alone",
                "sign with a DKIM key and publish its public key at <selector>._domainkey." + setup.EffectiveDkimDomain)], false);
        }

        var name = $"{selector}._domainkey.{setup.EffectiveDkimDomain}";
        var txt = await _dns.QueryTxtAsync(name, cancellationToken).ConfigureAwait(false);
        if (txt.IsTransient)
        {
            return new([CouldNotCheck(DkimArea, "TXT", name, txt)], false);
        }

        var publish = setup.DkimRecord is null ? "publish the selector's public key there" : $"publish TXT {name}: \"{setup.DkimRecord}\"";
        if (txt.IsMissing)
        {
            return new([new DoctorCheck(DkimArea, CheckStatus.Fail, $"no DKIM key record at {name} ({txt.Describe()})", publish)], false);
        }

        if (txt.Records.Count > 1)
        {
            return new([new DoctorCheck(DkimArea, CheckStatus.Fail,
                $"{txt.Records.Count} TXT records at {name}; verifiers may use any of them",
                "keep exactly one key record per selector", string.Join(" | ", txt.Records))], false);
        }

        // The verifier's parser and the verifier's rules (RFC 6376 §6.1.2), so "usable" here means "verifies there".
        var text = txt.Records[0];
        if (!DkimPublicKeyRecord.TryParse(text, out var key, out var error))
        {
            return new([new DoctorCheck(DkimArea, CheckStatus.Fail, $"DKIM record at {name} is malformed: {error}", publish, text)], false);
        }

        if (key.IsRevoked)
        {
            return new([new DoctorCheck(DkimArea, CheckStatus.Fail, $"DKIM key at {name} is revoked (empty p=)", publish, text)], false);
        }

        if (!key.IsKnownKeyType)
        {
            return new([new DoctorCheck(DkimArea, CheckStatus.Fail, $"k={key.KeyType} at {name} is not a known key type (rsa, ed25519)", publish, text)], false);
        }

        var checks = new List<DoctorCheck>();
        var usable = true;
        var bits = key.KeySize;
        var what = key.KeyType == "ed25519" ? "Ed25519 key" : $"{bits}-bit RSA key";
        if (key.KeyType == "rsa" && bits < s_minimumRsaKeyBits)
        {
            checks.Add(new DoctorCheck(DkimArea, CheckStatus.Fail, $"{what} at {name}: receivers ignore RSA keys under {s_minimumRsaKeyBits} bits",
                "generate a 2048-bit RSA key and publish it", text));
            usable = false;
        }
        else if (key.KeyType == "rsa" && bits < 2048)
        {
            checks.Add(new DoctorCheck(DkimArea, CheckStatus.Warn, $"{what} at {name}: weaker than the recommended 2048 bits",
                "generate a 2048-bit RSA key and publish it", text));
        }
        else
        {
            var extra = key.KeyType == "ed25519" ? " (some receivers verify only RSA; sign with an RSA key as well)" : "";
            checks.Add(new DoctorCheck(DkimArea, CheckStatus.Pass, $"{what} published at {name}{extra}", null, text));
        }

        foreach (var warning in key.PortabilityWarnings)
        {
            checks.Add(new DoctorCheck(DkimArea, CheckStatus.Warn, $"DKIM record at {name}: {warning}", "publish the record exactly as the doctor's DNS command prints it", text));
        }

        if (key.IsTesting)
        {
            checks.Add(new DoctorCheck(DkimArea, CheckStatus.Warn, $"t=y: the key at {name} is in testing mode; verifiers may treat signed mail as unsigned",
                "remove t=y once signing works", text));
        }

        if (!key.ServiceTypes.Any(s => s is "*" or "email"))
        {
            checks.Add(new DoctorCheck(DkimArea, CheckStatus.Fail, $"s={string.Join(':', key.ServiceTypes)}: the key is not for e-mail", "use s=email or drop s=", text));
            usable = false;
        }

        if (key.HashAlgorithms.Count > 0 && !key.HashAlgorithms.Contains("sha256"))
        {
            // RFC 6376 §3.6.1 h=: verifiers reject signatures whose hash is not listed; rsa-sha256 and ed25519-sha256 both need sha256.
            checks.Add(new DoctorCheck(DkimArea, CheckStatus.Fail, $"h={string.Join(':', key.HashAlgorithms)} does not allow sha256, so signatures made with this key fail to verify",
                "drop h= or set h=sha256", text));
            usable = false;
        }

        if (setup.DkimRecord is not null)
        {
            if (!DkimPublicKeyRecord.TryParse(setup.DkimRecord, out var expected, out var expectedError))
            {
                checks.Add(new DoctorCheck(DkimArea, CheckStatus.Fail, $"the DKIM record you gave is malformed: {expectedError}", null, setup.DkimRecord));
            }
            else if (!expected.GetKeyMaterial().AsSpan().SequenceEqual(key.GetKeyMaterial()))
            {
                checks.Add(new DoctorCheck(DkimArea, CheckStatus.Fail, $"the key published at {name} is not the one you gave", publish, text));
                usable = false;
            }
        }

        if (setup.DkimPrivateKeyPem is not null)
        {
            if (!DkimPrivateKey.TryGetPublicMaterial(setup.DkimPrivateKeyPem, out var type, out var material, out var keyError))
            {
                checks.Add(new DoctorCheck(DkimArea, CheckStatus.Fail, $"could not read the private key: {keyError}"));
            }
            else if (type != key.KeyType || !material.AsSpan().SequenceEqual(key.GetKeyMaterial()))
            {
                checks.Add(new DoctorCheck(DkimArea, CheckStatus.Fail,
                    $"the key published at {name} does not match the private key (signatures will fail to verify)",
                    "publish the public key of the private key you sign with", text));
                usable = false;
            }
            else
            {
                checks.Add(new DoctorCheck(DkimArea, CheckStatus.Pass, $"the key published at {name} matches the private key", null, text));
            }
        }

        return new(checks, usable);
    }
}
