using System.Net.Mail;
using ModernMail.Queue;

var builder = WebApplication.CreateBuilder(args);

// ModernMail in three lines: the broker and engine (settings from "ModernMail" in appsettings.json), the durable queue with its
// worker as a hosted service, and health checks (queue store, DNS, worker liveness).
builder.Services.AddModernMail(builder.Configuration.GetSection("ModernMail")).AddSqliteQueue(builder.Configuration["Mail:QueuePath"] ?? "mail-queue");
builder.Services.AddHealthChecks().AddModernMailHealthChecks();

var app = builder.Build();
app.MapHealthChecks("/health");

// Queues a message (committed to the store before 202) for the worker to deliver, with retries and bounces.
app.MapPost("/messages", async (SendRequest request, MailQueue queue, CancellationToken cancellationToken) =>
{
    using var message = new MailMessage(request.From, request.To, request.Subject, request.Text);
    string id = await queue.EnqueueAsync(message, cancellationToken);
    return Results.Accepted($"/messages/{id}", new { id });
});

// What happened to each recipient so far.
app.MapGet("/messages/{id}", async (string id, MailQueue queue, CancellationToken cancellationToken) =>
    await queue.GetAsync(id, cancellationToken) is { } queued
        ? Results.Ok(new { queued.Id, recipients = queued.Recipients.Select(r => new { r.Address, state = r.State.ToString(), r.LastReply }) })
        : Results.NotFound());

app.Run();

/// <summary>The body of POST /messages.</summary>
internal sealed record SendRequest(string From, string To, string Subject, string Text);

/// <summary>The entry point, public so integration tests can start the app with WebApplicationFactory.</summary>
public partial class Program;
