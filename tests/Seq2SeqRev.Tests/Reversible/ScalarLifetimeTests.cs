// ScalarLifetimeTests: the Scalar lifetime rule of src/Reversible/Scalars.cs, checked on the compiled assemblies.
//
// Why a static check and not a GC stress test: the race needs a GC and a finalizer run to land inside the one
// native call that reads a temporary Scalar. A stress loop (another thread forcing GC.Collect and
// GC.WaitForPendingFinalizers while cells step) hits that window rarely, so a pass proves little and a failure
// cannot be reproduced. The IL of the compiled assemblies shows every place where a C# number becomes a temporary
// native object, exactly and on every run, wherever that code runs (training, translation, tests), so this check
// fails deterministically at the first offending call site and names its method and IL offset.
//
// Guarantees: NoTemporaryScalarsReachNativeCalls fails when a method, constructor, lambda or local function of a
// src assembly (or of this test assembly) does one of these:
//  1. converts a number to TorchSharp.Scalar implicitly (a temporary Scalar);
//  2. converts a number to a Tensor implicitly (a temporary 0-dim tensor, e.g. a bitwise shift count);
//  3. calls a TorchSharp method that makes a temporary Scalar itself, found by scanning TorchSharp's own IL,
//     transitively (add(Tensor) with its alpha = 1, tensor + tensor, arange(stop), ...);
//  4. calls ToScalar() outside Scalars without keeping the result in a local that the same method disposes
//     (`using var s = value.ToScalar();`).
// ScannerCatchesEachRule shows that each rule reports a deliberate counterexample and accepts the fixed forms.
// OptimizerStepsAreOursAndScannedAndClipGradNormMakesNoScalar: TorchSharp's Adam and SGD step() make temporaries
// (the scan reports them), the trainer's own (src/Training/Optimizers) lie in a scanned assembly and are clean, and
// gradient clipping and zero_grad make none.
using System.Reflection;
using System.Reflection.Emit;
using Seq2SeqRev.Reversible;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using OurAdam = Seq2SeqRev.Training.Optimizers.Adam;
using OurSgd = Seq2SeqRev.Training.Optimizers.SGD;

namespace Seq2SeqRev.Tests.Reversible;

public sealed class ScalarLifetimeTests
{
    private static readonly Lazy<ScalarLifetimeScanner> Scanner = new(() => new ScalarLifetimeScanner(typeof(Scalar).Assembly));

    public static TheoryData<string> Assemblies => new()
    {
        "Seq2SeqRev.Reversible", "Seq2SeqRev.Attention", "Seq2SeqRev.Encoder", "Seq2SeqRev.Decoder",
        "Seq2SeqRev.Model", "Seq2SeqRev.Runs", "Seq2SeqRev.Memory.Accounting", "Seq2SeqRev.Training", "Seq2SeqRev.Memory.Measurement", "Seq2SeqRev.Translation", "Seq2SeqRev.Cli", "Seq2SeqRev.Scoring",
        "Seq2SeqRev.Benchmarks", "Seq2SeqRev.Train", "Seq2SeqRev.Translate", "Seq2SeqRev.Tests",
    };

    [Theory]
    [MemberData(nameof(Assemblies))]
    public void NoTemporaryScalarsReachNativeCalls(string assemblyName)
    {
        var assembly = Assembly.Load(assemblyName);
        var problems = Scanner.Value.Check(ScalarLifetimeScanner.LoadableTypes(assembly)
            .Where(t => !ScalarLifetimeScanner.IsNestedIn(t, typeof(Counterexamples))));
        if (problems.Count > 0)
            Assert.Fail($"{problems.Count} call site(s) give LibTorch a Scalar or tensor that nothing keeps alive " +
                $"(rule: src/Reversible/Scalars.cs):\n  {string.Join("\n  ", problems)}");
    }

    [Fact]
    public void ScannerCatchesEachRule()
    {
        var problems = Scanner.Value.Check([typeof(Counterexamples)]);
        string For(string method) => string.Join("\n", problems.Where(p => p.Contains($".{method} ", StringComparison.Ordinal)));
        Assert.Contains("implicit Scalar", For(nameof(Counterexamples.ImplicitScalar)));
        Assert.Contains("implicit Tensor", For(nameof(Counterexamples.ImplicitTensor)));
        Assert.Contains("Tensor.add(Tensor)", For(nameof(Counterexamples.HiddenAlpha)));
        Assert.Contains("op_Addition", For(nameof(Counterexamples.TensorPlusTensor)));
        Assert.Contains("ToScalar() result", For(nameof(Counterexamples.UnownedToScalar)));
        Assert.Empty(For(nameof(Counterexamples.FixedForms)));
    }

    [Fact]
    public void OptimizerStepsAreOursAndScannedAndClipGradNormMakesNoScalar()
    {
        // TorchSharp's own step() bodies make temporaries (the reason for src/Training/Optimizers) ...
        var scanner = Scanner.Value;
        foreach (var torchSharps in new[] { typeof(TorchSharp.Modules.Adam), typeof(TorchSharp.Modules.SGD) })
        {
            Assert.True(scanner.MakesTemporaryScalars(torchSharps.GetMethod("step")!), $"{torchSharps.Name}.step");
            Assert.NotEmpty(scanner.Check(WithNested(torchSharps)));
        }
        // ... ours are in a scanned assembly, with their lambdas, and clean.
        var trainingTypes = ScalarLifetimeScanner.LoadableTypes(Assembly.Load("Seq2SeqRev.Training")).ToHashSet();
        foreach (var ours in new[] { typeof(OurAdam), typeof(OurSgd) })
        {
            Assert.Contains(ours.Assembly.GetName().Name, ((IEnumerable<object[]>)Assemblies).Select(row => (string)row[0]));
            Assert.All(WithNested(ours), t => Assert.Contains(t, trainingTypes));
            Assert.Empty(scanner.Check(WithNested(ours)));
        }
        // Gradient clipping passes doubles to one native call; zero_grad makes no Scalar either.
        Assert.False(scanner.MakesTemporaryScalars(typeof(nn.utils).GetMethod(nameof(nn.utils.clip_grad_norm_))!));
        Assert.False(scanner.MakesTemporaryScalars(typeof(TorchSharp.Modules.OptimizerHelper).GetMethod("zero_grad")!));
    }

    private static List<Type> WithNested(Type type) =>
        [type, .. type.GetNestedTypes(BindingFlags.Public | BindingFlags.NonPublic).SelectMany(WithNested)];

    [Fact]
    public void CachedScalarsHoldWhatTheConversionsTheyReplaceHeld()
    {
        // LibTorch keeps integral Scalars as int64 and floating ones as double; a float keeps its float rounding.
        Assert.Equal(ScalarType.Int64, Scalars.UnitAlpha.Type);
        Assert.Equal(1L, Scalars.UnitAlpha.ToInt64());
        Assert.Equal(ScalarType.Int64, Scalars.Int64(3).Type);
        Assert.Equal(ScalarType.Float64, Scalars.Float32(0.1f).Type);
        Assert.Equal((double)0.1f, Scalars.Float32(0.1f).ToDouble());
        Assert.Equal(0.1, Scalars.Float64(0.1).ToDouble());
        Assert.Same(Scalars.Float32(0.5f), Scalars.Float32(0.5f));
        Assert.NotSame(Scalars.Float32(0f), Scalars.Float32(-0f));
        Assert.True(float.IsNegative(Scalars.Float32(-0f).ToSingle()));

        Tensor operand;
        using (NewDisposeScope()) operand = Scalars.Int64Tensor(12345);   // created inside a scope, owned by none
        Assert.False(operand.IsInvalid);
        Assert.Equal(ScalarType.Int64, operand.dtype);
        Assert.Equal(0L, operand.dim());
        Assert.Equal(12345L, operand.item<long>());
        Assert.Same(operand, Scalars.Int64Tensor(12345));
    }

    /// <summary>Deliberate violations and their fixed forms, for <see cref="ScannerCatchesEachRule"/> only
    /// (never called; excluded from the assembly scan).</summary>
    private static class Counterexamples
    {
        public static Tensor ImplicitScalar(Tensor t) => t.mul(2f);
        public static Tensor ImplicitTensor(Tensor t) => t.bitwise_right_shift(3L);
        public static Tensor HiddenAlpha(Tensor a, Tensor b) => a.add(b);
        public static Tensor TensorPlusTensor(Tensor a, Tensor b) => a + b;
        public static Tensor UnownedToScalar(Tensor t) => t.mul(2f.ToScalar());

        public static Tensor FixedForms(Tensor a, Tensor b, float factor)
        {
            using var s = factor.ToScalar();
            return a.add(b, Scalars.UnitAlpha).mul(s).mul(Scalars.Float32(2f)).bitwise_right_shift(Scalars.Int64Tensor(3));
        }
    }
}

/// <summary>
/// Reads IL and reports the call sites that break the Scalar lifetime rule (see <see cref="ScalarLifetimeTests"/>).
/// Guarantees: every method operand (call, callvirt, newobj, ldftn) of every method, constructor and type
/// initializer of the given types is examined, compiler-generated lambdas and closures included (they are nested
/// types); in checked code an operand that cannot be resolved is reported, never skipped.
/// </summary>
internal sealed class ScalarLifetimeScanner
{
    private const BindingFlags Declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance
        | BindingFlags.Static | BindingFlags.DeclaredOnly;
    private static readonly Dictionary<int, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!).ToDictionary(o => (int)(ushort)o.Value);

    /// <summary>TorchSharp methods that make a Scalar temporary in their own body or in one they call, keyed by
    /// (module, metadata token) so that generic instantiations match their definitions.</summary>
    private readonly HashSet<(Module, int)> _tempMakers = [];

    public ScalarLifetimeScanner(Assembly torchSharp)
    {
        var calls = new Dictionary<(Module, int), List<(Module, int)>>();
        foreach (var method in LoadableTypes(torchSharp).SelectMany(MethodsOf))
        {
            var key = Key(method);
            var targets = new List<(Module, int)>();
            foreach (var i in Decode(method))
                if (i.Target is { } target)
                {
                    if (MakesScalar(target)) _tempMakers.Add(key);
                    targets.Add(Key(target));
                }
            calls[key] = targets;
        }
        for (var changed = true; changed;)
        {
            changed = false;
            foreach (var (caller, targets) in calls)
                if (!_tempMakers.Contains(caller) && targets.Any(_tempMakers.Contains))
                {
                    _tempMakers.Add(caller);
                    changed = true;
                }
        }
    }

    /// <summary>Whether TorchSharp's <paramref name="method"/> makes a temporary Scalar in its body or in one it calls.</summary>
    public bool MakesTemporaryScalars(MethodBase method) => _tempMakers.Contains(Key(method));

    /// <summary>One line per offending call site: "Type.Method @IL_offset: what".</summary>
    public List<string> Check(IEnumerable<Type> types)
    {
        var problems = new List<string>();
        foreach (var type in types)
            foreach (var method in MethodsOf(type))
            {
                var code = Decode(method);
                for (var k = 0; k < code.Count; k++)
                {
                    var problem = Problem(type, code, k);
                    if (problem is not null)
                        problems.Add($"{type.FullName}.{method.Name} @IL_{code[k].Offset:x4}: {problem}");
                }
            }
        return problems;
    }

    private string? Problem(Type type, List<Instruction> code, int k)
    {
        var i = code[k];
        if (i.Op.OperandType != OperandType.InlineMethod) return null;
        if (i.Target is not { } target) return $"unresolvable method token 0x{i.Operand:x8} (cannot check it)";
        var parameter = target.GetParameters().FirstOrDefault()?.ParameterType;
        if (target.Name == "op_Implicit" && target.DeclaringType == typeof(Scalar))
            return $"implicit Scalar from {parameter?.Name}: use Scalars or a `using var` local";
        if (target.Name == "op_Implicit" && target.DeclaringType == typeof(Tensor) && parameter is not null
            && !parameter.IsArray && parameter != typeof(Scalar))
            return $"implicit Tensor from {parameter.Name}: use Scalars.Int64Tensor";
        if (MakesScalar(target))
            return IsNestedIn(type, typeof(Scalars)) || DisposedLocal(code, k) ? null
                : "ToScalar() result is not a local disposed by this method (`using var s = value.ToScalar();`)";
        if (_tempMakers.Contains(Key(target)))
            return $"calls {target.DeclaringType?.Name}.{target.Name}({string.Join(", ", target.GetParameters().Select(p => p.ParameterType.Name))}), " +
                "which makes a temporary Scalar inside TorchSharp: pass every Scalar explicitly (e.g. add(y, Scalars.UnitAlpha))";
        return null;
    }

    /// <summary>The value created at code[k] goes straight into a local that the method later disposes.</summary>
    private static bool DisposedLocal(List<Instruction> code, int k)
    {
        if (k + 1 >= code.Count || StoredLocal(code[k + 1]) is not int local) return false;
        for (var j = 0; j + 1 < code.Count; j++)
            if (LoadedLocal(code[j]) == local && code[j + 1].Target is { Name: "Dispose" } dispose && dispose.GetParameters().Length == 0)
                return true;
        return false;
    }

    private static int? StoredLocal(Instruction i) => i.Op.Value switch
    {
        >= 0x0A and <= 0x0D => i.Op.Value - 0x0A,                                 // stloc.0 .. stloc.3
        0x13 => (int)i.Operand, unchecked((short)0xFE0E) => (int)i.Operand,       // stloc.s, stloc
        _ => null,
    };

    private static int? LoadedLocal(Instruction i) => i.Op.Value switch
    {
        >= 0x06 and <= 0x09 => i.Op.Value - 0x06,                                 // ldloc.0 .. ldloc.3
        0x11 => (int)i.Operand, unchecked((short)0xFE0C) => (int)i.Operand,       // ldloc.s, ldloc
        _ => null,
    };

    private static bool MakesScalar(MethodBase m) =>
        (m.DeclaringType == typeof(Scalar) && m.Name == "op_Implicit")
        || (m.DeclaringType == typeof(ScalarExtensionMethods) && m is MethodInfo { ReturnType: var r } && r == typeof(Scalar));

    public static bool IsNestedIn(Type type, Type outer)
    {
        for (Type? t = type; t is not null; t = t.DeclaringType)
            if (t == outer) return true;
        return false;
    }

    private static (Module, int) Key(MethodBase m) => (m.Module, m.MetadataToken);

    public static IEnumerable<Type> LoadableTypes(Assembly assembly)
    {
        try { return assembly.GetTypes(); }
        catch (ReflectionTypeLoadException e) { return e.Types.OfType<Type>(); }
    }

    private static IEnumerable<MethodBase> MethodsOf(Type type)
    {
        try { return [.. type.GetMethods(Declared), .. type.GetConstructors(Declared)]; }
        catch (Exception e) when (e is TypeLoadException or IOException) { return []; }
    }

    private readonly record struct Instruction(int Offset, OpCode Op, long Operand, MethodBase? Target);

    /// <summary>The instructions of a method body; method operands resolved (null when they cannot be).</summary>
    private static List<Instruction> Decode(MethodBase method)
    {
        byte[] il;
        try { il = method.GetMethodBody()?.GetILAsByteArray() ?? []; }
        catch (Exception e) when (e is TypeLoadException or IOException or BadImageFormatException) { return []; }
        var typeArgs = method.DeclaringType is { IsGenericType: true } d ? d.GetGenericArguments() : null;
        var methodArgs = method.IsGenericMethod ? method.GetGenericArguments() : null;
        var result = new List<Instruction>();
        for (var pos = 0; pos < il.Length;)
        {
            var start = pos;
            var value = il[pos] == 0xFE ? 0xFE00 | il[pos + 1] : il[pos];
            pos += value > 0xFF ? 2 : 1;
            var op = OpCodesByValue[value];
            long operand = op.OperandType switch
            {
                OperandType.InlineNone => 0,
                OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => il[pos],
                OperandType.InlineVar => BitConverter.ToUInt16(il, pos),
                OperandType.InlineI8 or OperandType.InlineR => BitConverter.ToInt64(il, pos),
                _ => BitConverter.ToInt32(il, pos),
            };
            pos += op.OperandType switch
            {
                OperandType.InlineNone => 0,
                OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                OperandType.InlineVar => 2,
                OperandType.InlineI8 or OperandType.InlineR => 8,
                OperandType.InlineSwitch => 4 + 4 * (int)operand,
                _ => 4,
            };
            MethodBase? target = null;
            if (op.OperandType == OperandType.InlineMethod)
                try { target = method.Module.ResolveMethod((int)operand, typeArgs, methodArgs); }
                catch (Exception e) when (e is ArgumentException or TypeLoadException or IOException or MissingMemberException or BadImageFormatException) { }
            result.Add(new Instruction(start, op, operand, target));
        }
        return result;
    }
}
