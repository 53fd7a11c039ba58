using Eslm.Native;
using Eslm.Tensors;

namespace Eslm.Ops;

/// <summary>fp32 products through OpenBLAS SGEMM: the same calls, in the same order, as before backends existed.</summary>
internal sealed unsafe class Fp32Gemm : GemmBackend
{
    public override Precision Precision => Precision.Fp32;

    public override void LinearForward(float* output, Operand input, Operand weight, int rows, int inChannels, int outChannels, float beta) =>
        OpenBlas.Sgemm(false, true, rows, outChannels, inChannels, 1f, input.Values, inChannels, weight.Values, inChannels, beta, output, outChannels);

    public override void LinearBackward(float* dInput, float dInputBeta, float* dWeight, float* dOutput, Operand input, Operand weight,
        int rows, int inChannels, int outChannels, int weightRows)
    {
        int C = inChannels, OC = outChannels;
        if (dInput != null) OpenBlas.Sgemm(false, false, rows, C, OC, 1f, dOutput, OC, weight.Values, C, dInputBeta, dInput, C);
        OpenBlas.Sgemm(true, false, OC, C, weightRows, 1f, dOutput, OC, input.Values, C, 1f, dWeight, C);
    }
}
