using Perfolizer.Mathematics.Common;
using Perfolizer.Mathematics.QuantileEstimators;
using Pragmastat;

namespace Hakmem.Lab.Results;

/// <summary>The lab's one median and quantile estimator (Harrell-Davis, from Perfolizer): summary,
/// compare, run and the charts all show the same median of the same runs.</summary>
public static class Estimators
{
    /// <summary>The Harrell-Davis median; NaN without values.</summary>
    public static double Median(IReadOnlyList<double> values) => values.Count == 0 ? double.NaN : Quantiles(values, 0.5)[0];

    public static double[] Quantiles(IReadOnlyList<double> values, params double[] probabilities)
    {
        if (values.Count == 1) return probabilities.Select(_ => values[0]).ToArray();
        return HarrellDavisQuantileEstimator.Instance.Quantiles(new Sample(values.ToArray()), probabilities.Select(p => new Probability(p)).ToArray());
    }

    /// <summary>The median's 95% confidence interval (Maritz-Jarrett, via Harrell-Davis), clipped to the
    /// sample's range; null below 3 values or when they are all equal.</summary>
    public static (double Low, double High)? MedianInterval(IReadOnlyList<double> values)
    {
        if (values.Count < 3 || values.Distinct().Count() < 2) return null;
        var ci = HarrellDavisQuantileEstimator.Instance.QuantileConfidenceIntervalEstimator(new Sample(values.ToArray()), new Probability(0.5))
            .ConfidenceInterval(ConfidenceLevel.L95);
        return (Math.Max(ci.Lower, values.Min()), Math.Min(ci.Upper, values.Max()));
    }
}
