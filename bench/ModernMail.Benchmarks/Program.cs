using BenchmarkDotNet.Running;

namespace ModernMail.Benchmarks;

internal static class Program
{
    private static int Main(string[] args)
    {
        if (args is ["e2e", ..])
        {
            return Delivery.DeliveryE2e.Run(args[1..]);
        }
        if (args is ["intake", ..])
        {
            return Intake.IntakeLoad.Run(args[1..]);
        }
        if (args is ["pgdrain", ..])
        {
            return Queue.PostgreSqlDrain.Run(args[1..]);
        }
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
