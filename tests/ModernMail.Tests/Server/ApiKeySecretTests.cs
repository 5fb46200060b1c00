using Microsoft.Extensions.Time.Testing;
using ModernMail.Server.Keys;
using ModernMail.Server.Storage;
using Xunit;

namespace ModernMail.Tests.Server;

public sealed class ApiKeySecretTests : IAsyncDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "mm-keys-" + Guid.NewGuid().ToString("N"));
    private readonly SqliteServerStore _store;
    private readonly ApiKeyService _keys;

    public ApiKeySecretTests()
    {
        _store = new SqliteServerStore(_directory);
        _keys = new ApiKeyService(_store, new FakeTimeProvider(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero)));
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask DisposeAsync()
    {
        await _store.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public void Generate_IsPrefixedBase64Url_OfThirtyTwoRandomBytes()
    {
        string a = ApiKeySecret.Generate();
        string b = ApiKeySecret.Generate();
        Assert.StartsWith("mm_", a, StringComparison.Ordinal);
        Assert.Equal(3 + 43, a.Length);
        Assert.NotEqual(a, b);
        Assert.True(ApiKeySecret.TryGetId(a, out string? id));
        Assert.Equal(a.Substring(3, 8), id);
        Assert.False(ApiKeySecret.TryGetId("mm_short", out _));
        Assert.False(ApiKeySecret.TryGetId("xx_" + a[3..], out _));
        Assert.False(ApiKeySecret.TryGetId(a[..^1] + "!", out _));
    }

    [Fact]
    public async Task Create_StoresOnlyTheHash_AndAuthenticatesTheSecret()
    {
        await _store.InitializeAsync(Ct);
        var (key, secret) = await _keys.CreateAsync("app", ["Example.COM."], Ct);

        Assert.Equal(["example.com"], key.Domains);
        byte[] file = await File.ReadAllBytesAsync(_store.Path, Ct);
        Assert.Equal(-1, file.AsSpan().IndexOf(System.Text.Encoding.ASCII.GetBytes(secret[11..])));
        Assert.Equal(key.Id, (await _keys.AuthenticateAsync(secret, Ct))?.Id);
        Assert.Null(await _keys.AuthenticateAsync(secret[..^1] + (secret[^1] == 'A' ? 'B' : 'A'), Ct));
        Assert.True(key.AllowsDomain("example.com"));
        Assert.True(key.AllowsDomain("news.example.com"));
        Assert.False(key.AllowsDomain("badexample.com"));
        Assert.False(key.AllowsDomain("example.org"));
    }

    [Fact]
    public async Task Revoke_StopsAuthentication_AndFreesTheName()
    {
        await _store.InitializeAsync(Ct);
        var (_, secret) = await _keys.CreateAsync("app", [], Ct);
        await Assert.ThrowsAsync<ArgumentException>(() => _keys.CreateAsync("app", [], Ct));

        Assert.True(await _keys.RevokeAsync("app", Ct));
        Assert.False(await _keys.RevokeAsync("app", Ct));
        Assert.Null(await _keys.AuthenticateAsync(secret, Ct));
        var (_, second) = await _keys.CreateAsync("app", [], Ct);
        Assert.NotNull(await _keys.AuthenticateAsync(second, Ct));
        Assert.Equal(2, (await _keys.ListAsync(Ct)).Count);
    }

    [Theory]
    [InlineData("has space")]
    [InlineData("")]
    [InlineData("tab\tname")]
    public async Task Create_RefusesNamesThatCannotBeAnSmtpUser(string name)
    {
        await _store.InitializeAsync(Ct);
        await Assert.ThrowsAsync<ArgumentException>(() => _keys.CreateAsync(name, [], Ct));
    }

    [Fact]
    public async Task Idempotency_ClaimReplayAndExpiry()
    {
        await _store.InitializeAsync(Ct);
        var now = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        byte[] hash = [1, 2, 3];
        Assert.Null(await _store.TryClaimIdempotencyAsync("k", "i", hash, now, now.AddDays(-1), "p1", Ct));
        var open = await _store.TryClaimIdempotencyAsync("k", "i", hash, now, now.AddDays(-1), "p1", Ct);
        Assert.True(open?.InProgress);
        await _store.CompleteIdempotencyAsync("k", "i", 202, [9], Ct);
        var done = await _store.TryClaimIdempotencyAsync("k", "i", hash, now, now.AddDays(-1), "p1", Ct);
        Assert.Equal(202, done?.StatusCode);
        Assert.Equal([9], done?.Body);
        // Another API key has its own namespace; after the window the key may be claimed again.
        Assert.Null(await _store.TryClaimIdempotencyAsync("other", "i", hash, now, now.AddDays(-1), "p1", Ct));
        Assert.Null(await _store.TryClaimIdempotencyAsync("k", "i", [4], now.AddDays(2), now.AddDays(1), "p1", Ct));
        Assert.Equal(1, await _store.PurgeIdempotencyAsync(now.AddDays(1), Ct));
    }
}
