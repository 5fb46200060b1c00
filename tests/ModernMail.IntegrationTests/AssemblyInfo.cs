using Xunit;

// Integration tests share one Postfix and one DNS server; run them one class at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
