namespace ModernMail.Queue.Internal;

/// <summary>
/// Caps how many deliveries run at once to one recipient domain (ASCII form), across messages. A domain's gate
/// exists only while someone holds or waits for it, so a worker that has seen a million domains keeps none of them.
/// </summary>
internal sealed class DomainGates(int perDomain)
{
    private readonly Dictionary<string, Gate> _gates = new(StringComparer.Ordinal);

    /// <summary>Waits for a slot in every domain of <paramref name="domains"/> (taken in ordinal order, so two callers
    /// with overlapping sets cannot deadlock); dispose the result to release them.</summary>
    public async Task<IDisposable> AcquireAsync(IEnumerable<string> domains, CancellationToken cancellationToken)
    {
        var held = new Held(this);
        try
        {
            foreach (string domain in domains.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
            {
                Gate gate;
                lock (_gates)
                {
                    if (!_gates.TryGetValue(domain, out gate!))
                    {
                        _gates[domain] = gate = new Gate(perDomain);
                    }
                    gate.Users++;
                }
                try
                {
                    await gate.Semaphore.WaitAsync(cancellationToken).ConfigureAwait(false);
                }
                catch
                {
                    Leave(domain, gate, release: false);
                    throw;
                }
                held.Domains.Add((domain, gate));
            }
            return held;
        }
        catch
        {
            held.Dispose();
            throw;
        }
    }

    /// <summary>How many domains currently have a gate (for tests: it returns to zero when idle).</summary>
    public int Count
    {
        get
        {
            lock (_gates)
            {
                return _gates.Count;
            }
        }
    }

    private void Leave(string domain, Gate gate, bool release)
    {
        if (release)
        {
            gate.Semaphore.Release();
        }
        lock (_gates)
        {
            if (--gate.Users == 0)
            {
                _gates.Remove(domain);
                gate.Semaphore.Dispose();
            }
        }
    }

    private sealed class Gate(int slots)
    {
        public SemaphoreSlim Semaphore { get; } = new(slots, slots);

        public int Users { get; set; }
    }

    private sealed class Held(DomainGates owner) : IDisposable
    {
        public List<(string Domain, Gate Gate)> Domains { get; } = [];

        public void Dispose()
        {
            foreach (var (domain, gate) in Domains)
            {
                owner.Leave(domain, gate, release: true);
            }
            Domains.Clear();
        }
    }
}
