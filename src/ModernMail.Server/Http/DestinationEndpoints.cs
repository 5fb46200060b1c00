using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using ModernMail.Delivery;
using ModernMail.Delivery.Shaping;

namespace ModernMail.Server.Http;

/// <summary>GET /v1/destinations: each destination traffic shaping has seen on this node, with its limits, open connections,
/// back-off, suspension and last throttling reply.</summary>
/// <remarks>Destinations span every sender domain, so an unrestricted key is needed (403 for a key limited to domains).</remarks>
internal static class DestinationEndpoints
{
    public static void Map(IEndpointRouteBuilder routes)
    {
        routes.MapGroup("/v1").AddEndpointFilter<ApiKeyFilter>()
            .MapGet("/destinations", ListAsync)
            .WithName("ListDestinations")
            .WithSummary("Traffic-shaping destinations on this node: rule, limits, open connections, waiting deliveries, back-off factor, suspension, last throttling reply, pending recipients and domains.")
            .Produces<DestinationList>()
            .ProducesProblem(401).ProducesProblem(403);
    }

    private static async Task<IResult> ListAsync(HttpContext context, SmtpTransport transport)
    {
        if (ApiKeyFilter.KeyOf(context).Domains.Count > 0)
        {
            return ApiOutcome.Problem(new ApiProblem(403, "Key limited to sender domains", "Destinations are shared by every sender: use a key without domain limits."));
        }
        // Pending recipients per domain (the status page's reader, when it is on), summed over each destination's domains.
        Dictionary<string, long>? pending = null;
        if (context.RequestServices.GetService(typeof(Status.StatusReader)) is Status.StatusReader reader)
        {
            var backlog = await reader.DestinationsAsync(context.RequestAborted).ConfigureAwait(false);
            pending = backlog.Destinations.ToDictionary(d => d.Domain, d => d.Queued + d.Delivering + d.Deferred, StringComparer.OrdinalIgnoreCase);
        }
        return ApiOutcome.Json(200, new DestinationList([.. transport.Destinations.Select(d => Body(d, pending))]));
    }

    private static DestinationBody Body(DestinationStatus d, Dictionary<string, long>? pending) => new(
        d.Name,
        d.Rule.Source,
        new DestinationLimits(d.Rule.MaxConnections, d.Rule.MaxMessagesPerConnection, d.Rule.MessagesPerMinute, d.Rule.MessagesPerHour, d.Rule.ConnectionsPerMinute),
        d.Connections,
        d.Waiting,
        d.EffectiveMaxConnections,
        Math.Round(d.Factor, 4),
        d.SuspendedUntil,
        d.LastError,
        d.Delivered,
        d.Throttled,
        pending is null ? null : d.Domains.Sum(domain => pending.GetValueOrDefault(domain)),
        d.Domains);

    internal sealed record DestinationList(IReadOnlyList<DestinationBody> Destinations);

    internal sealed record DestinationLimits(int? MaxConnections, int? MaxMessagesPerConnection, int? MessagesPerMinute, int? MessagesPerHour, int? ConnectionsPerMinute);

    // Pending: recipients not yet final for the destination's domains (null when the status page is off).
    internal sealed record DestinationBody(string Name, string? Source, DestinationLimits Limits, int Connections, int Waiting, int? EffectiveMaxConnections,
        double Factor, DateTimeOffset? SuspendedUntil, string? LastError, long Delivered, long Throttled, long? Pending, IReadOnlyList<string> Domains);
}
