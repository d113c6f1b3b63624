// Adam: TorchSharp's Adam (torch.optim.Adam(parameters, lr) with its defaults: betas 0.9/0.999, eps 1e-8, no
// weight decay, no AMSGrad, minimizing) with a step() that keeps alive every Scalar it hands to LibTorch.
// Why: TorchSharp 0.107's own step() passes numbers where Scalars are expected (mul_(beta1), add_(grad, alpha:
// 1 - beta1), "/ Math.Sqrt(bias_correction2)", add_(eps), addcdiv_(value: -step_size)), i.e. temporary Scalars
// that a GC on another thread may finalize mid-call (src/Reversible/Scalars.cs). This step does the same
// arithmetic in the same order on the same state, with constants from Scalars and the per-step bias corrections
// in `using var` locals, so parameters and state are bit-identical to TorchSharp's (tests/.../OptimizerTests).
// Guarantees: the state (per parameter: step, exp_avg, exp_avg_sq) and its saved form are TorchSharp's own; the
// class is named Adam because save_state_dict/load_state_dict write and check the optimizer's type name, so states
// saved by TorchSharp's Adam (checkpoints of earlier builds) load here and the other way round. Options that this
// step does not implement (weight_decay, amsgrad, maximize, e.g. from a loaded state) throw NotSupportedException.
using Seq2SeqRev.Reversible;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Seq2SeqRev.Training.Optimizers;

public sealed class Adam(IEnumerable<Parameter> parameters, double lr) : TorchSharp.Modules.Adam(parameters, lr)
{
    public override Tensor step(Func<Tensor>? closure = null) => _step<ParamGroup>(group =>
    {
        var options = (Options)group.Options;
        if (options.weight_decay is not 0.0 || options.amsgrad is not false || options.maximize is not false)
            throw new NotSupportedException(
                "Seq2SeqRev's Adam implements lr, betas and eps only (weight_decay 0, amsgrad and maximize off)");
        double beta1 = options.beta1!.Value, beta2 = options.beta2!.Value, eps = options.eps!.Value;
        double lr = options.LearningRate!.Value;
        // A run uses one pair of betas and one eps: a small fixed set, cached.
        Scalar beta1S = Scalars.Float64(beta1), beta2S = Scalars.Float64(beta2), epsS = Scalars.Float64(eps);
        Scalar gradWeight = Scalars.Float64(1 - beta1), squareWeight = Scalars.Float64(1 - beta2);

        foreach (var param in group.Parameters)
        {
            var state = (State)_state[param.Handle];
            var grad = param.grad;
            if (grad is null) continue;

            state.step += 1;
            double biasCorrection1 = 1 - Math.Pow(beta1, state.step);
            double biasCorrection2 = 1 - Math.Pow(beta2, state.step);

            state.exp_avg.mul_(beta1S).add_(grad, gradWeight);
            state.exp_avg_sq.mul_(beta2S).addcmul_(grad, grad.conj(), squareWeight);

            using var sqrtCorrection2 = Math.Sqrt(biasCorrection2).ToScalar();
            var denom = state.exp_avg_sq.sqrt().div(sqrtCorrection2).add_(epsS, Scalars.UnitAlpha);

            double stepSize = lr / biasCorrection1;
            using var negativeStepSize = (-stepSize).ToScalar();
            param.addcdiv_(state.exp_avg, denom, negativeStepSize);
        }
    }, closure);
}
