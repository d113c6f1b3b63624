// SGD: TorchSharp's SGD (torch.optim.SGD(parameters, lr) with its defaults: no momentum, dampening or weight decay,
// not Nesterov, minimizing) with a step() that keeps alive the Scalar it hands to LibTorch. TorchSharp 0.107's own
// step() calls param.add_(grad, alpha: -lr) with a temporary Scalar that a GC on another thread may finalize
// mid-call (src/Reversible/Scalars.cs); this one holds -lr in a `using var` local and is otherwise the same
// arithmetic, so parameters are bit-identical to TorchSharp's (tests/.../OptimizerTests).
// Guarantees: the state and its saved form are TorchSharp's own; the class is named SGD because
// save_state_dict/load_state_dict write and check the optimizer's type name, so states saved by TorchSharp's SGD
// load here and the other way round. Options that this step does not implement (momentum, weight_decay, nesterov,
// maximize, e.g. from a loaded state) throw NotSupportedException.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Seq2SeqRev.Training.Optimizers;

public sealed class SGD(IEnumerable<Parameter> parameters, double lr) : TorchSharp.Modules.SGD(parameters, lr)
{
    public override Tensor step(Func<Tensor>? closure = null) => _step<ParamGroup>(group =>
    {
        var options = group.Options;
        if (options.momentum is not 0.0 || options.weight_decay is not 0.0 || options.nesterov is not false
            || options.maximize is not false)
            throw new NotSupportedException(
                "Seq2SeqRev's SGD implements lr only (momentum and weight_decay 0, nesterov and maximize off)");
        using var alpha = (-options.LearningRate!.Value).ToScalar();

        foreach (var param in group.Parameters)
        {
            var grad = param.grad;
            if (grad is null) continue;
            param.add_(grad, alpha);
        }
    }, closure);
}
