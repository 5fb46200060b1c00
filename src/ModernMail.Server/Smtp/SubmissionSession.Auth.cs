using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using ModernMail.Queue;
using ModernMail.Server.Internal;
using ModernMail.Server.Storage;

namespace ModernMail.Server.Smtp;

internal sealed partial class SubmissionSession
{
    // RFC 4954 AUTH with the SASL mechanisms PLAIN (RFC 4616) and LOGIN (draft-murchison-sasl-login).
    //   AUTH mechanism [initial-response]
    //   PLAIN message = [authzid] NUL authcid NUL passwd

    private async Task<bool> AuthAsync(string arguments, CancellationToken abort)
    {
        if (!_isTls)
        {
            Reply("538 5.7.11 Encryption required for requested authentication mechanism: use STARTTLS first");
            return true;
        }
        if (_state == SessionState.Connected)
        {
            Reply("503 5.5.1 Send EHLO first");
            return true;
        }
        if (_key is not null)
        {
            Reply("503 5.5.1 Already authenticated");
            return true;
        }
        if (_state != SessionState.Greeted)
        {
            Reply("503 5.5.1 AUTH is not allowed during a mail transaction");
            return true;
        }
        if (_listener.AuthFailures.IsBlocked(ClientAddress))
        {
            Reply("421 4.7.0 Too many failed logins from your address; try again later");
            return false;
        }
        int space = arguments.IndexOf(' ', StringComparison.Ordinal);
        string mechanism = (space < 0 ? arguments : arguments[..space]).ToUpperInvariant();
        string? initial = space < 0 ? null : arguments[(space + 1)..].Trim(' ');
        string? user;
        string? password;
        switch (mechanism)
        {
            case "PLAIN":
                {
                    string? response = initial ?? await ChallengeAsync("", abort).ConfigureAwait(false);
                    if (response is null)
                    {
                        return false;
                    }
                    if (!TryDecode(response, out string? decoded))
                    {
                        return true;
                    }
                    // Empty or equal to the user: acting for another identity (authzid) is not offered.
                    string[] parts = decoded.Split('\0');
                    if (parts.Length != 3 || (parts[0].Length > 0 && parts[0] != parts[1]))
                    {
                        Reply("501 5.5.2 Malformed PLAIN response (expected [authzid] NUL user NUL password)");
                        return true;
                    }
                    user = parts[1];
                    password = parts[2];
                    break;
                }
            case "LOGIN":
                {
                    string? userResponse = initial ?? await ChallengeAsync("VXNlcm5hbWU6", abort).ConfigureAwait(false); // "Username:"
                    if (userResponse is null || !TryDecode(userResponse, out user))
                    {
                        return userResponse is not null;
                    }
                    string? passwordResponse = await ChallengeAsync("UGFzc3dvcmQ6", abort).ConfigureAwait(false); // "Password:"
                    if (passwordResponse is null || !TryDecode(passwordResponse, out password))
                    {
                        return passwordResponse is not null;
                    }
                    break;
                }
            case "":
                Reply("501 5.5.4 Syntax: AUTH PLAIN|LOGIN [initial-response]");
                return true;
            default:
                Reply("504 5.5.4 Unrecognized authentication type (offered: PLAIN LOGIN)");
                return true;
        }

        StoredApiKey? key;
        try
        {
            key = await _listener.Keys.AuthenticateAsync(password, abort).ConfigureAwait(false);
        }
        catch (QueueStoreException ex)
        {
            ServerLog.StoreFailed(_listener.Logger, ex);
            Reply("454 4.7.0 Temporary authentication failure; try again later");
            return true;
        }
        // The user name must name the key the secret belongs to: a leaked secret alone, with any user, is not enough to tell apart.
        if (key is null || !FixedTimeEquals(key.Name, user))
        {
            ServerLog.AuthenticationFailed(_listener.Logger, _remote.Address.ToString(), key is null ? "SMTP AUTH: unknown, revoked or wrong secret" : "SMTP AUTH: user name does not match the key");
            if (_listener.AuthFailures.RecordFailure(ClientAddress))
            {
                Reply("421 4.7.0 Too many failed logins from your address; try again later");
                return false;
            }
            Reply("535 5.7.8 Authentication credentials invalid");
            return true;
        }
        _key = key;
        Reply("235 2.7.0 Authentication successful");
        return true;
    }

    /// <summary>Sends a 334 challenge and reads the client's answer; null when the client went away; "*" cancels (RFC 4954 §4).</summary>
    private async Task<string?> ChallengeAsync(string challenge, CancellationToken abort)
    {
        Reply(challenge.Length == 0 ? "334 " : "334 " + challenge);
        using var timeout = new CancellationTokenSource(Settings.CommandTimeout, _listener.Time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(abort, timeout.Token);
        string? line;
        try
        {
            line = await ReadLineAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !abort.IsCancellationRequested)
        {
            Reply($"421 4.4.2 {HostName} Timeout waiting for the authentication response; closing the connection");
            return null;
        }
        return line;
    }

    /// <summary>Decodes a base64 SASL response as UTF-8; on failure (or "*") replies 501 and returns false.</summary>
    private bool TryDecode(string response, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? text)
    {
        text = null;
        if (response == "*")
        {
            Reply("501 5.7.0 Authentication cancelled");
            return false;
        }
        if (response == "=")
        {
            // RFC 4954 §4: "=" is an initial response of zero length.
            text = "";
            return true;
        }
        byte[] buffer = ArrayPool<byte>.Shared.Rent(response.Length);
        try
        {
            if (!Convert.TryFromBase64String(response, buffer, out int length))
            {
                Reply("501 5.5.2 Cannot decode the response (not base64)");
                return false;
            }
            text = Encoding.UTF8.GetString(buffer, 0, length);
            return true;
        }
        finally
        {
            // The buffer held a password.
            ArrayPool<byte>.Shared.Return(buffer, clearArray: true);
        }
    }

    private static bool FixedTimeEquals(string expected, string actual) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(expected), Encoding.UTF8.GetBytes(actual));
}
