"""Builds labels.part_c.json: the steps found by extract.py (my implementation of the contract),
zipped with the hand-written role/label/note of each step below.  The step count of every
document must equal the number of annotations, and a short expected prefix of each rhs is
checked so that a shifted annotation list cannot go unnoticed."""
import json
import sys

from pathlib import Path
HERE = Path(__file__).resolve().parent  # part_c_tools/
DOCS = HERE.parent  # the documents and labels.part_c.json
sys.path.insert(0, str(HERE))
from extract import extract_file, normalize  # noqa: E402

A = "assertion"
D = "definition"
P = "premise"
E = "equation"
O = "other"

ANN = {
    "c_eigen_whitening.md": [
        (P, "d", "premise: x is Gaussian with mean m and covariance Sigma", "\\mathcal"),
        (P, "d", "premise (structure): eigendecomposition, U orthogonal and Lambda diagonal as stated in prose", "U\\Lambda"),
        (P, "d", "premise: orthogonality of U, displayed", "I"),
        (A, "v", "inverse factor by factor with U^{-1} = U^T", "U\\Lambda^-1"),
        (D, "d", "defines the whitened vector w", "\\Lambda^-1/2"),
        (A, "v", "linearity of expectation", "\\Lambda^-1/2"),
        (A, "v", "E[x] = m, so the bracket vanishes", "0"),
        (A, "v", "Cov[w] = E[w w^T] because E[w] = 0", "\\mathbb"),
        (A, "v", "constants pulled out; the transpose of Lambda^{-1/2} U^T is U Lambda^{-1/2}", "\\Lambda^-1/2U^\\top\\mathbb"),
        (A, "x", "dropped transpose: U^T Sigma U = U^T U Lambda U^T U, written as U^T U Lambda U U", "\\Lambda^-1/2U^\\topU\\LambdaUU"),
        (A, "x", "inherits the dropped transpose: Lambda^{-1/2} U^T U Lambda U U Lambda^{-1/2} = Lambda^{1/2} U U Lambda^{-1/2}, which is not Lambda^{-1/2} Lambda Lambda^{-1/2}", "\\Lambda^-1/2\\Lambda\\Lambda"),
        (A, "v", "Lambda^{-1/2} Lambda Lambda^{-1/2} = I", "I"),
        (D, "d", "defines the squared Mahalanobis distance r^2", "(x-m)^\\top\\Sigma"),
        (A, "v", "Sigma^{-1} = U Lambda^{-1} U^T and Lambda^{-1} = Lambda^{-1/2} Lambda^{-1/2}", "(x-m)^\\topU"),
        (A, "v", "the two factors are w^T and w", "w^\\topw"),
        (A, "v", "det U det U^T = det(U^T U) = 1", "\\log\\det\\Lambda"),
        (A, "v", "determinant of a diagonal matrix: sum of log eigenvalues", "\\sum"),
        (A, "x", "lost 1/2: the log-determinant term of the log density is -(1/2) sum_i log lambda_i", "-\\fracd2"),
        (P, "d", "premise: numeric covariance of the example", "\\beginpmatrix2&1"),
        (P, "d", "premise: numeric mean of the example", "\\beginpmatrix1\\\\0"),
        (A, "v", "computed eigenvectors: U is orthogonal and U diag(3,1) U^T = Sigma", "\\frac1\\sqrt2"),
        (A, "x", "wrong inverse entry (sign of the off-diagonal): Sigma^{-1} = (1/3)[[2,-1],[-1,2]]", "\\frac13"),
        (A, "v", "w = Lambda^{-1/2} U^T (x - m) at x = (3,1), m = (1,0)", "\\beginpmatrix1/\\sqrt3"),
        (A, "v", "the product evaluates to (3/sqrt6, -1/sqrt2)", "\\beginpmatrix3/\\sqrt6"),
        (A, "v", "r^2 = w^T w = w_1^2 + w_2^2", "\\frac96"),
        (A, "v", "9/6 + 1/2 = 2", "2"),
    ],
    "c_kalman_update.tex": [
        (P, "d", "premise: prior of the state s", "\\mathcalN\\left(m"),
        (P, "d", "premise: measurement model equation", "Hs+r+v"),
        (P, "d", "premise: measurement noise distribution (independent of s)", "\\mathcalN\\left(0"),
        (A, "v", "linearity of expectation", "H\\mathbbE[s]"),
        (A, "v", "E[s] = m and E[v] = 0", "Hm+r"),
        (A, "v", "o - E[o] = H(s - m) + v", "\\mathbbE\\left[(H(s-m)"),
        (A, "v", "cross terms vanish by independence and E[v] = 0", "HPH^\\top+Q"),
        (A, "v", "definition of the cross-covariance with o - E[o] = H(s - m) + v", "\\mathbbE\\left[(s-m)"),
        (A, "v", "E[(s-m)(s-m)^T] H^T + E[(s-m) v^T] = P H^T", "PH^\\top"),
        (D, "d", "defines the Kalman gain G", "PH^\\top\\left(HPH"),
        (A, "v", "conditional mean of a partitioned Gaussian", "m+\\operatornameCov[s,o]"),
        (A, "x", "sign slip: o - E[o] = o - Hm - r, written o - Hm + r", "m+G\\left(o-Hm+r"),
        (A, "v", "Schur complement of the observation block, Cov[o,s] = Cov[s,o]^T", "P-\\operatornameCov"),
        (A, "v", "substituting Cov[s,o] = P H^T and Cov[o] = H P H^T + Q", "P-PH^\\top"),
        (A, "x", "factors in the wrong order: the expression equals (I - G H) P, not P (I - G H)", "P\\left(I-GH"),
        (A, "v", "information form via the Woodbury identity", "P^-1+H^\\top"),
        (A, "v", "posterior mean in information form", "\\operatornameCov[s\\mido]\\left(P^-1m"),
        (P, "d", "premise: numeric prior mean", "1"),
        (P, "d", "premise: numeric prior variance", "4"),
        (P, "d", "premise: numeric noise variance", "1"),
        (A, "v", "G = P H / (H P H + Q) with H = 1", "\\frac44+1"),
        (A, "v", "4/5 = 0.8", "0.8"),
        (A, "v", "m + G (o - H m - r) with o = 3, r = 0", "1+0.8"),
        (A, "v", "1 + 0.8 * 2 = 2.6", "2.6"),
        (A, "x", "lost square: P - P^2 H^2/(H^2 P + Q) = 4 - 16/5 = 0.8; the numerator was written as P instead of P^2", "4-\\frac4"),
        (A, "v", "the arithmetic 4 - 4/5 = 3.2 itself is right (the step is true, the error sits in the previous step)", "3.2"),
    ],
    "c_cholesky_sampling.ipynb": [
        (P, "d", "premise (structure): Cholesky factorisation, L lower triangular with positive diagonal", "LL^\\top"),
        (P, "d", "premise: z is standard normal", "\\mathcalN(0,I)"),
        (D, "d", "defines the sample y", "m+Lz"),
        (A, "v", "linearity of expectation", "m+L"),
        (A, "v", "E[z] = 0", "m"),
        (A, "v", "definition of the covariance with E[y] = m", "\\mathbbE\\left[(y-m)"),
        (A, "v", "y - m = L z, constants pulled out of the expectation", "L\\,\\mathbbE"),
        (A, "v", "E[z z^T] = I", "LL^\\top"),
        (A, "v", "premise Sigma = L L^T", "\\Sigma"),
        (A, "v", "substituting Sigma = L L^T", "(LL^\\top)^-1"),
        (A, "v", "inverse of a product in reversed order", "L^-\\topL^-1"),
        (A, "v", "det of a product is the product of dets", "\\log\\left(\\detL"),
        (A, "v", "det L^T = det L", "2\\log\\detL"),
        (A, "v", "determinant of a triangular matrix is the product of its diagonal", "2\\sum"),
        (A, "x", "wrong normaliser: (2 pi)^{d/2} gives -(d/2) log(2 pi), written -(1/2) log(2 pi)", "-\\frac12\\log(2\\pi)"),
        (P, "d", "premise: numeric covariance of the example", "\\beginpmatrix4&2"),
        (P, "d", "premise: numeric mean of the example", "\\beginpmatrix1\\\\-1"),
        (A, "v", "Cholesky factor computed by hand: L L^T = Sigma, lower triangular, positive diagonal", "\\beginpmatrix2&0"),
        (A, "x", "wrong inverse entry: the (2,1) entry of L^{-1} is -sqrt2/4 (sign dropped)", "\\beginpmatrix1/2"),
        (P, "d", "premise: numeric value of the draw z", "\\beginpmatrix0.5"),
        (A, "v", "restates the definition y = m + L z", "m+Lz"),
        (A, "v", "L z evaluated row by row", "\\beginpmatrix1+2"),
        (A, "x", "sign slip: -1 + 0.5 - sqrt2 = -0.5 - sqrt2, written -0.5 + sqrt2", "\\beginpmatrix2\\\\-0.5+"),
        (A, "v", "2 (log L_11 + log L_22) with L_11 = 2, L_22 = sqrt2", "2\\left(\\log2"),
        (A, "v", "2 log 2 + log 2 = 3 log 2", "3\\log2"),
        (O, "o", "numeric approximation of 3 log 2", "2.0794"),
    ],
    "c_sample_mle_zh.md": [
        (P, "d", "premise: the x_i are iid Gaussian", "\\mathcalN(\\mu"),
        (P, "d", "premise: the Gaussian density of one observation", "\\frac1\\sqrt2\\pi"),
        (D, "d", "defines the log-likelihood (introduced with 记)", "\\log\\prod"),
        (A, "v", "log of a product is the sum of logs", "\\sum_i=1^N\\logp"),
        (A, "x", "wrong normaliser: log(1/(2 pi sigma)) used for log(1/sqrt(2 pi sigma^2)); should be -(N/2) log(2 pi sigma^2)", "-N\\log(2\\pi\\sigma)"),
        (A, "v", "derivative of the log-likelihood in mu", "\\frac1\\sigma^2\\sum"),
        (E, "v", "score equation in mu set to 0 (condition at the MLE)", "0"),
        (E, "v", "rearrangement after multiplying by sigma^2", "0"),
        (O, "o", "implication arrow between the condition and its solution", "\\hat\\mu"),
        (E, "v", "solution: the MLE of mu is the sample mean", "\\frac1N\\sum"),
        (A, "v", "derivative in sigma^2 (d/d sigma^2 of log sigma^2 is 1/sigma^2)", "-\\fracN2\\sigma^2"),
        (E, "v", "score equation in sigma^2 set to 0 (condition at the MLE)", "0"),
        (E, "v", "rearrangement after multiplying by 2 sigma^4, with mu replaced by hat mu", "\\sum_i=1^N(x_i-\\hat\\mu)^2"),
        (E, "v", "solution: the MLE of sigma^2 divides by N", "\\frac1N\\sum"),
        (D, "d", "defines the unbiased sample variance s^2 (denominator N-1), a different name from the MLE", "\\frac1N-1"),
        (A, "v", "bias of the MLE of the variance", "\\fracN-1N\\sigma^2"),
        (P, "d", "premise: the numeric data", "(2,5,6,7)"),
        (A, "v", "sample mean of the data", "\\frac2+5+6+7"),
        (A, "v", "20/4 = 5", "5"),
        (A, "v", "squared deviations from hat mu = 5", "(2-5)^2"),
        (A, "v", "continues the chain of the previous display block (block begins with =)", "9+0+1+4"),
        (A, "v", "9 + 0 + 1 + 4 = 14", "14"),
        (A, "v", "MLE divides the sum of squares by N = 4", "\\frac144"),
        (A, "v", "14/4 = 3.5", "3.5"),
        (A, "x", "N vs N-1: the unbiased s^2 divides by N - 1 = 3, so s^2 = 14/3, not 14/4", "\\frac144"),
        (A, "v", "the arithmetic 14/4 = 3.5 itself is right", "3.5"),
    ],
    "c_affine_transform.Rmd": [
        (P, "d", "premise: x is Gaussian with mean m and covariance S", "\\mathcalN(m,S)"),
        (D, "d", "defines the new vector u", "Bx+c"),
        (A, "v", "substituting the definition of u", "\\mathbbE[Bx+c]"),
        (A, "v", "linearity of expectation, c is constant", "B\\,\\mathbbE[x]+c"),
        (A, "v", "E[x] = m", "Bm+c"),
        (A, "v", "definition of the covariance as expected outer product", "\\mathbbE\\left[(u-"),
        (A, "v", "u - E[u] = B x - B m", "\\mathbbE\\left[(Bx-Bm)"),
        (A, "x", "factors in the wrong order: (Bx - Bm)(Bx - Bm)^T = B (x-m)(x-m)^T B^T, not B^T (x-m)(x-m)^T B", "\\mathbbE\\left[B^\\top"),
        (A, "x", "inherits the wrong order: E[B^T (x-m)(x-m)^T B] = B^T S B, not B S B^T", "B\\,\\mathbbE\\left[(x-m)"),
        (A, "v", "E[(x-m)(x-m)^T] = S", "BSB^\\top"),
        (A, "v", "a linear combination of a Gaussian vector is Gaussian with mean a^T m and variance a^T S a", "\\mathcalN\\left(a^\\topm"),
        (A, "v", "Var(a^T x) = a^T S a with a = (1, -1, 0, ..., 0)", "a^\\topSa"),
        (A, "v", "expanding a^T S a for a = (1, -1, 0, ..., 0)", "S_11-2S_12+S_22"),
        (P, "d", "premise: numeric matrix B", "\\beginpmatrix1&2"),
        (P, "d", "premise: numeric shift c", "\\beginpmatrix1\\\\-1"),
        (P, "d", "premise: numeric mean m", "\\beginpmatrix0\\\\2"),
        (P, "d", "premise: numeric covariance S", "\\beginpmatrix2&1"),
        (A, "v", "E[u] = B m + c from the general result", "Bm+c"),
        (A, "v", "B m = (4, 2)", "\\beginpmatrix4+1"),
        (A, "v", "4 + 1 = 5, 2 - 1 = 1", "\\beginpmatrix5"),
        (A, "v", "Cov[u] = B S B^T from the general result", "BSB^\\top"),
        (A, "v", "B S = [[4,7],[1,3]] and B^T = [[1,0],[2,1]]", "\\beginpmatrix4&7"),
        (A, "v", "matrix product evaluates to [[18,7],[7,3]]", "\\beginpmatrix18&7"),
        (A, "x", "Var(a - b) = Var a - Var b: the variance of a difference is Var u_1 + Var u_2 - 2 Cov(u_1, u_2) = 18 + 3 - 14 = 7", "\\operatornameVar(u_1)-"),
        (A, "v", "Var(u_1) = 18 and Var(u_2) = 3 from Cov[u] (true as a step)", "18-3"),
        (A, "v", "18 - 3 = 15 (arithmetic true; the error sits in the first step of the chain)", "15"),
    ],
    "c_conditional_bivariate.qmd": [
        (D, "d", "defines z as the stacked blocks z_a, z_b", "\\beginpmatrixz_a"),
        (P, "d", "premise: joint Gaussian with partitioned mean and covariance", "\\mathcalN\\left("),
        (D, "d", "defines the precision matrix Lambda", "\\Sigma^-1"),
        (D, "d", "names the blocks of the precision matrix", "\\beginpmatrix\\Lambda_aa"),
        (A, "v", "the inverse of a symmetric matrix is symmetric", "\\Lambda_ab^\\top"),
        (A, "v", "definition of the conditional density", "\\fracp(z_a,z_b)p(z_b)"),
        (A, "v", "propto in z_a: p(z_b) does not depend on z_a", "p(z_a,z_b)"),
        (A, "v", "propto in z_a: the Gaussian normaliser does not depend on z_a", "\\exp\\left(-\\frac12(z-\\mu)"),
        (A, "x", "propto in z_a: lost factor 2 on the cross term; the ab and ba terms together give -(z_a-mu_a)^T Lambda_ab (z_b-mu_b), so the ratio depends on z_a", "\\exp\\left(-\\frac12(z_a-\\mu_a)"),
        (A, "x", "propto in z_a: compared with the wrong previous line the ratio still depends on z_a (inherits the lost factor 2)", "\\exp\\left(-\\frac12z_a^\\top"),
        (A, "v", "propto in z_a: completing the square with mu_{a|b} = Lambda_aa^{-1}(Lambda_aa mu_a - Lambda_ab (z_b - mu_b))", "\\exp\\left(-\\frac12(z_a-\\mu_a|b)"),
        (D, "d", "defines the conditional mean mu_{a|b} (introduced with 'where')", "\\Lambda_aa^-1\\left("),
        (A, "v", "multiplying out Lambda_aa^{-1} Lambda_aa", "\\mu_a-\\Lambda_aa^-1"),
        (D, "d", "defines the conditional covariance Sigma_{a|b}", "\\Lambda_aa^-1"),
        (A, "v", "block inverse: Lambda_aa is the inverse of the Schur complement of Sigma_bb", "\\left(\\Sigma_aa-"),
        (A, "v", "block inverse: off-diagonal block of the precision", "-\\Lambda_aa\\Sigma_ab"),
        (A, "x", "sign slip: Lambda_aa^{-1} Lambda_ab = -Sigma_ab Sigma_bb^{-1}, so the conditional mean is mu_a + Sigma_ab Sigma_bb^{-1}(z_b - mu_b)", "\\mu_a-\\Sigma_ab"),
        (A, "v", "restates the definition of Sigma_{a|b}", "\\Lambda_aa^-1"),
        (A, "x", "Schur complement in the wrong order (complement of the wrong block): Lambda_aa^{-1} = Sigma_aa - Sigma_ab Sigma_bb^{-1} Sigma_ba", "\\Sigma_bb-\\Sigma_ba"),
        (A, "v", "summary: conditional Gaussian with the correct mean and Schur-complement covariance", "\\mathcalN\\left(\\mu_a+"),
    ],
}

ORDER = ["c_eigen_whitening.md", "c_kalman_update.tex", "c_cholesky_sampling.ipynb",
         "c_sample_mle_zh.md", "c_affine_transform.Rmd", "c_conditional_bivariate.qmd"]


def main():
    out = {}
    for name in ORDER:
        steps = extract_file(str(DOCS) + "/" + name)
        ann = ANN[name]
        assert len(steps) == len(ann), (name, len(steps), len(ann))
        rows = []
        for k, (st, (role, label, note, prefix)) in enumerate(zip(steps, ann), 1):
            assert normalize(st["rhs"]).startswith(normalize(prefix)), (name, k, st["rhs"], prefix)
            assert (role == O) == (label == "o"), (name, k)
            assert (label == "d") == (role in (D, P)), (name, k)
            row = {}
            if "cell" in st:
                row["cell"] = st["cell"]
            row.update({"line": st["line"], "lhs": st["lhs"], "rhs": st["rhs"], "relation": st["relation"]})
            if "reason" in st:
                row["reason"] = st["reason"]
            row.update({"role": role, "label": label, "note": note})
            rows.append(row)
        out[name] = rows
    with open(str(DOCS / "labels.part_c.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1, ensure_ascii=False)
        f.write("\n")
    for name in ORDER:
        c = {}
        for r in out[name]:
            c[r["label"]] = c.get(r["label"], 0) + 1
        print(name, len(out[name]), c)


if __name__ == "__main__":
    main()
