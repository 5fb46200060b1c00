using System.Data.Common;
using System.Threading.Channels;

namespace ModernMail.Queue.Internal;

/// <summary>The write path: one group-commit loop (or a transaction per call), retries of transient failures, error translation.</summary>
internal abstract partial class SqlQueueCore
{
    private const int MaxBatch = 256;
    /// <summary>Writes waiting for the group-commit loop; bounded so that a slow disk slows callers instead of growing memory.</summary>
    private const int MaxPendingWrites = 4096;

    private readonly Channel<WriteOperation> _writes = Channel.CreateBounded<WriteOperation>(
        new BoundedChannelOptions(MaxPendingWrites) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly object _writerLock = new();
    private Task? _writer;

    protected async Task<T> RunAsync<T>(string operation, Func<CancellationToken, Task<T>> action, CancellationToken cancellationToken)
    {
        try
        {
            return await action(cancellationToken).ConfigureAwait(false);
        }
        catch (DbException ex)
        {
            throw Translate(ex, operation);
        }
        catch (IOException ex)
        {
            throw new QueueStoreException($"Queue store {Description}: {operation} failed: {ex.Message}", ex) { IsTransient = true };
        }
    }

    /// <summary>Runs a write in a transaction shared with whatever other writes are waiting (group commit) and returns after the commit.</summary>
    /// <remarks>Every commit is an fsync; batching concurrent enqueues, leases and outcomes into one transaction is what lets the
    /// queue keep up with delivery. When a batch fails, its operations are retried one per transaction so only the culprit fails.
    /// Cancellation is honoured until the operation starts; after that it runs to its commit (no half-known outcome).</remarks>
    protected async Task<T> WriteAsync<T>(string operation, Func<DbConnection, DbTransaction, CancellationToken, Task<T>> action, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (!GroupCommit)
        {
            return await RunAsync(operation, async ct =>
            {
                var connection = await OpenAsync(ct).ConfigureAwait(false);
                await using (connection.ConfigureAwait(false))
                {
                    var transaction = await BeginWriteAsync(connection, ct).ConfigureAwait(false);
                    try
                    {
                        await using (transaction.ConfigureAwait(false))
                        {
                            T result = await action(connection, transaction, ct).ConfigureAwait(false);
                            // Not cancellable: once the work is done, committing must not be abandoned halfway.
                            await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
                            return result;
                        }
                    }
                    finally
                    {
                        EndWrite();
                    }
                }
            }, cancellationToken).ConfigureAwait(false);
        }
        var write = new WriteOperation(operation, async (connection, transaction, ct) => await action(connection, transaction, ct).ConfigureAwait(false), cancellationToken);
        EnsureWriter();
        try
        {
            await _writes.Writer.WriteAsync(write, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            throw new ObjectDisposedException(GetType().Name, "The queue store has been disposed.");
        }
        return (T)(await write.Completion.Task.ConfigureAwait(false))!;
    }

    private void EnsureWriter()
    {
        if (_writer is null)
        {
            lock (_writerLock)
            {
                _writer ??= Task.Run(WriteLoopAsync);
            }
        }
    }

    /// <summary>Stops accepting writes and waits for the queued ones to commit.</summary>
    public async Task CloseAsync()
    {
        _writes.Writer.TryComplete();
        if (_writer is { } writer)
        {
            await writer.ConfigureAwait(false);
        }
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<WriteOperation>(MaxBatch);
        while (await _writes.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < MaxBatch && _writes.Reader.TryRead(out var write))
            {
                if (write.CancellationToken.IsCancellationRequested)
                {
                    write.Completion.TrySetCanceled(write.CancellationToken);
                }
                else
                {
                    batch.Add(write);
                }
            }
            if (batch.Count == 0)
            {
                continue;
            }
            try
            {
                await CommitBatchAsync(batch).ConfigureAwait(false);
            }
            catch (Exception ex) when (batch.Count > 1 && Wrap(ex, "write") is QueueStoreException { IsTransient: true })
            {
                // The store itself is unavailable (locked, full, server gone): every operation fails the same way; do not wait once per operation.
                foreach (var write in batch)
                {
                    write.Completion.TrySetException(Wrap(ex, write.Operation));
                }
            }
            catch (Exception) when (batch.Count > 1)
            {
                foreach (var write in batch)
                {
                    try
                    {
                        await CommitBatchAsync([write]).ConfigureAwait(false);
                    }
                    catch (Exception ex)
                    {
                        write.Completion.TrySetException(Wrap(ex, write.Operation));
                    }
                }
            }
            catch (Exception ex)
            {
                batch[0].Completion.TrySetException(Wrap(ex, batch[0].Operation));
            }
        }
    }

    private async Task CommitBatchAsync(IReadOnlyList<WriteOperation> batch)
    {
        var results = new object?[batch.Count];
        var connection = await OpenAsync(CancellationToken.None).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var transaction = await BeginWriteAsync(connection, CancellationToken.None).ConfigureAwait(false);
            try
            {
                await using (transaction.ConfigureAwait(false))
                {
                    for (int i = 0; i < batch.Count; i++)
                    {
                        results[i] = await batch[i].Action(connection, transaction, CancellationToken.None).ConfigureAwait(false);
                    }
                    await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
                }
            }
            finally
            {
                EndWrite();
            }
        }
        for (int i = 0; i < batch.Count; i++)
        {
            batch[i].Completion.TrySetResult(results[i]);
        }
    }

    private Exception Wrap(Exception exception, string operation) => exception switch
    {
        DbException db => Translate(db, operation),
        IOException io => new QueueStoreException($"Queue store {Description}: {operation} failed: {io.Message}", io) { IsTransient = true },
        _ => exception,
    };

    private sealed class WriteOperation(string operation, Func<DbConnection, DbTransaction, CancellationToken, Task<object?>> action, CancellationToken cancellationToken)
    {
        public string Operation { get; } = operation;

        public Func<DbConnection, DbTransaction, CancellationToken, Task<object?>> Action { get; } = action;

        public CancellationToken CancellationToken { get; } = cancellationToken;

        public TaskCompletionSource<object?> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
