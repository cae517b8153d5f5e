using ZeroDrift.Cli;

return await ZeroDriftApp.RunAsync(args);
