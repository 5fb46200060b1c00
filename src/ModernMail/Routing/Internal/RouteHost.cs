using System.Net;

namespace ModernMail.Routing.Internal;

/// <summary>One mail exchanger to try: its name, port and, for IP literals, the fixed address.</summary>
internal sealed record RouteHost(string Name, int Port, IPAddress? Literal = null);
