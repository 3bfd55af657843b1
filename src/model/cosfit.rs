//! Weighted least-squares fit of `A·cos(x − offset)^p` (x and offset in degrees), the power
//! versus vane-angle curve of OpenOA's StaticYawMisalignment, written out by hand so the model
//! layer needs no optimisation crate.
//!
//! Steps: (1) with p at 2 (or its bound), scan the offset over its bounds in 0.25 deg steps,
//! taking the amplitude in closed form at each (for fixed offset and p the model is linear in
//! A); (2) from the best scan point, Levenberg–Marquardt with Marquardt's diagonal scaling on
//! (A, offset, p), projecting offset and p onto their bounds after each step. The scan avoids
//! the local minima a single start can fall into when the data barely show a peak.

/// The fitted curve and its weighted sum of squared residuals.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CosFit {
    /// Peak value A, in the units of y.
    pub amplitude: f64,
    /// x at the peak, degrees.
    pub offset_deg: f64,
    /// The cosine exponent p.
    pub exponent: f64,
    /// Σ w (y − f)².
    pub sse: f64,
}

const K: f64 = std::f64::consts::PI / 180.0;

/// Fits `y ≈ A·cos(x − offset)^p` with weights `w` (e.g. window counts), offset in
/// `offset_bounds` and p in `p_bounds` (equal bounds fix p). `None` when there are fewer points
/// than free parameters or the normal equations are singular from the start.
pub fn fit_cos_power(
    x: &[f64],
    y: &[f64],
    w: &[f64],
    offset_bounds: (f64, f64),
    p_bounds: (f64, f64),
) -> Option<CosFit> {
    let free_p = p_bounds.1 > p_bounds.0;
    if x.len() < if free_p { 3 } else { 2 } || x.len() != y.len() || x.len() != w.len() {
        return None;
    }
    let p0 = 2.0_f64.clamp(p_bounds.0, p_bounds.1);
    // (1) scan the offset with A in closed form
    let mut best: Option<CosFit> = None;
    let mut o = offset_bounds.0;
    while o <= offset_bounds.1 + 1e-9 {
        if let Some(f) = closed_form_amplitude(x, y, w, o, p0)
            && best.is_none_or(|b| f.sse < b.sse)
        {
            best = Some(f);
        }
        o += 0.25;
    }
    let mut cur = best?;
    // (2) Levenberg–Marquardt on (A, offset, p)
    let mut lambda = 1e-3;
    for _ in 0..200 {
        let (h, g) = normal_equations(x, y, w, &cur, free_p);
        let mut a = h;
        for (i, row) in a.iter_mut().enumerate() {
            row[i] += lambda * h[i][i].max(1e-12);
        }
        let Some(d) = solve3(a, g) else { break };
        let trial = CosFit {
            amplitude: cur.amplitude + d[0],
            offset_deg: (cur.offset_deg + d[1]).clamp(offset_bounds.0, offset_bounds.1),
            exponent: (cur.exponent + d[2]).clamp(p_bounds.0, p_bounds.1),
            sse: 0.0,
        };
        let trial = CosFit { sse: sse(x, y, w, &trial), ..trial };
        if trial.sse < cur.sse {
            let gain = (cur.sse - trial.sse) / cur.sse.max(f64::MIN_POSITIVE);
            cur = trial;
            lambda = (lambda / 3.0).max(1e-12);
            if gain < 1e-12 {
                break;
            }
        } else {
            lambda *= 4.0;
            if lambda > 1e12 {
                break;
            }
        }
    }
    Some(cur)
}

/// cos(x − offset), floored so powers and logarithms stay finite far from the peak.
fn cosine(x: f64, offset: f64) -> f64 {
    (K * (x - offset)).cos().max(1e-9)
}

fn sse(x: &[f64], y: &[f64], w: &[f64], f: &CosFit) -> f64 {
    x.iter()
        .zip(y)
        .zip(w)
        .map(|((&x, &y), &w)| {
            let r = y - f.amplitude * cosine(x, f.offset_deg).powf(f.exponent);
            w * r * r
        })
        .sum()
}

/// The least-squares amplitude for fixed offset and exponent: A = Σ w y c / Σ w c².
fn closed_form_amplitude(x: &[f64], y: &[f64], w: &[f64], offset: f64, p: f64) -> Option<CosFit> {
    let (mut num, mut den) = (0.0, 0.0);
    for ((&x, &y), &w) in x.iter().zip(y).zip(w) {
        let c = cosine(x, offset).powf(p);
        num += w * y * c;
        den += w * c * c;
    }
    (den > 0.0).then(|| {
        let f = CosFit { amplitude: num / den, offset_deg: offset, exponent: p, sse: 0.0 };
        CosFit { sse: sse(x, y, w, &f), ..f }
    })
}

/// JᵀWJ and JᵀW r at `f`; with a fixed exponent its row and column are those of the identity
/// and its gradient zero, so the step leaves p alone.
fn normal_equations(x: &[f64], y: &[f64], w: &[f64], f: &CosFit, free_p: bool) -> ([[f64; 3]; 3], [f64; 3]) {
    let mut h = [[0.0; 3]; 3];
    let mut g = [0.0; 3];
    for ((&x, &y), &w) in x.iter().zip(y).zip(w) {
        let c = cosine(x, f.offset_deg);
        let cp = c.powf(f.exponent);
        let s = (K * (x - f.offset_deg)).sin();
        let model = f.amplitude * cp;
        let j = [cp, f.amplitude * f.exponent * cp / c * s * K, if free_p { model * c.ln() } else { 0.0 }];
        let r = y - model;
        for a in 0..3 {
            g[a] += w * j[a] * r;
            for b in 0..3 {
                h[a][b] += w * j[a] * j[b];
            }
        }
    }
    if !free_p {
        h[2] = [0.0, 0.0, 1.0];
        h[0][2] = 0.0;
        h[1][2] = 0.0;
    }
    (h, g)
}

/// Solves a 3×3 system by Gaussian elimination with partial pivoting.
fn solve3(mut a: [[f64; 3]; 3], mut b: [f64; 3]) -> Option<[f64; 3]> {
    for col in 0..3 {
        let piv = (col..3).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[piv][col].abs() < 1e-300 || !a[piv][col].is_finite() {
            return None;
        }
        a.swap(col, piv);
        b.swap(col, piv);
        for r in col + 1..3 {
            let m = a[r][col] / a[col][col];
            let pivot_row = a[col];
            for (v, p) in a[r].iter_mut().zip(pivot_row).skip(col) {
                *v -= m * p;
            }
            b[r] -= m * b[col];
        }
    }
    let mut out = [0.0; 3];
    for r in (0..3).rev() {
        let s: f64 = (r + 1..3).map(|c| a[r][c] * out[c]).sum();
        out[r] = (b[r] - s) / a[r][r];
    }
    out.iter().all(|v| v.is_finite()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn curve(a: f64, o: f64, p: f64) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let x: Vec<f64> = (-15..=15).map(f64::from).collect();
        let y = x.iter().map(|&x| a * cosine(x, o).powf(p)).collect();
        (x, y, vec![1.0; 31])
    }

    #[test]
    fn exact_curves_are_recovered_with_free_and_fixed_exponent() {
        let (x, y, w) = curve(850.0, 3.7, 2.6);
        let f = fit_cos_power(&x, &y, &w, (-15.0, 15.0), (1.0, 4.0)).unwrap();
        assert!((f.offset_deg - 3.7).abs() < 1e-4, "{f:?}");
        assert!((f.exponent - 2.6).abs() < 1e-3, "{f:?}");
        assert!((f.amplitude - 850.0).abs() < 1e-3, "{f:?}");
        let (x, y, w) = curve(1.0, -6.2, 2.0);
        let f = fit_cos_power(&x, &y, &w, (-15.0, 15.0), (2.0, 2.0)).unwrap();
        assert!((f.offset_deg + 6.2).abs() < 1e-4, "{f:?}");
        assert_eq!(f.exponent, 2.0);
    }

    #[test]
    fn too_few_points_give_no_fit() {
        assert!(fit_cos_power(&[1.0, 2.0], &[1.0, 1.0], &[1.0, 1.0], (-5.0, 5.0), (1.0, 4.0)).is_none());
    }
}
