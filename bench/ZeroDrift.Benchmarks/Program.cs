using BenchmarkDotNet.Running;
using ZeroDrift.Benchmarks;

// `secrets-tree DIR` is the whole-tree measurement bench/scripts/secrets-vs-ripgrep.sh compares with ripgrep.
if (args is ["secrets-tree", var dir]) return SecretTreeScan.Run(dir);
if (args is ["secrets-keywords"]) return SecretTreeScan.Keywords();
if (args is ["secrets-profile", var tree, .. var more]) return SecretProfile.Run(tree, more.FirstOrDefault());
if (args is ["iac-profile", var tfTree]) return IacProfile.Run(tfTree);
if (args is ["rules-profile", .. var rest]) return RuleProfile.Run(rest.FirstOrDefault());
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
