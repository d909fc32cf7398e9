//! RFM (recency, frequency, monetary) scores: each customer gets a quintile score 1–5 per
//! dimension, 5 the best (the most recent, the most frequent, the most spent), and a named
//! segment from their recency and frequency scores.
//!
//! **The tie rule** (deterministic, independent of input order): customers are ordered by the
//! value (then by id), and a customer's score is `1 + ⌊5 · k / n⌋`, where `k` is the position of
//! the *first* customer with the same value. Equal values always get the same score, so a
//! quintile can hold more or fewer than a fifth of the customers when many share a value (most
//! customers bought once: they all get the lowest frequency score).

/// One customer's behaviour: days since the last purchase, purchases, money spent.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Behaviour {
    pub id: i64,
    pub recency_days: f64,
    pub frequency: f64,
    pub monetary: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Scores {
    pub r: u8,
    pub f: u8,
    pub m: u8,
}

/// Quintile scores of `values` (ids break ties of position only, never of score), ascending:
/// the largest values score 5.
pub fn quintiles(values: &[(i64, f64)]) -> Vec<u8> {
    let n = values.len();
    // Sort packed keys (the value's bits in total order, then the id, then the position):
    // the same order as `f64::total_cmp` then id, without a comparison closure.
    let mut order: Vec<(u64, i64, usize)> = values
        .iter()
        .enumerate()
        .map(|(i, (id, v))| (ordered_bits(*v), *id, i))
        .collect();
    order.sort_unstable();
    let mut out = vec![0u8; n];
    let mut first = 0usize;
    for k in 0..n {
        if k > 0 && order[k - 1].0 != order[k].0 {
            first = k;
        }
        // 5·first/n < 5 since first < n.
        out[order[k].2] = 1 + u8::try_from(5 * first / n.max(1)).unwrap_or(4);
    }
    out
}

/// The bits of a float, mapped so that unsigned order is `f64::total_cmp`'s.
pub(crate) fn ordered_bits(v: f64) -> u64 {
    let b = v.to_bits();
    if b >> 63 == 1 {
        !b
    } else {
        b | (1 << 63)
    }
}

/// R, F and M scores of every customer, in input order.
pub fn score(customers: &[Behaviour]) -> Vec<Scores> {
    let column = |k: usize| -> Vec<u8> {
        quintiles(
            &customers
                .iter()
                .map(|c| {
                    let v = match k {
                        // Recency: fewer days is better, so score the negated days.
                        0 => -c.recency_days,
                        1 => c.frequency,
                        _ => c.monetary,
                    };
                    (c.id, v)
                })
                .collect::<Vec<_>>(),
        )
    };
    // The three sorts are independent: run them side by side on large inputs.
    let (r, f, m) = if customers.len() < 20_000 {
        (column(0), column(1), column(2))
    } else {
        let join = |h: std::thread::ScopedJoinHandle<'_, Vec<u8>>| {
            h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))
        };
        std::thread::scope(|s| {
            let r = s.spawn(|| column(0));
            let f = s.spawn(|| column(1));
            let m = column(2);
            (join(r), join(f), m)
        })
    };
    (0..customers.len())
        .map(|i| Scores {
            r: r[i],
            f: f[i],
            m: m[i],
        })
        .collect()
}

/// A named segment: the customers whose R and F scores fall in both ranges (inclusive).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub r: (u8, u8),
    pub f: (u8, u8),
}

/// The first segment (in order) that holds the scores; an organisation may keep its own list.
pub fn segment_of(segments: &[Segment], s: Scores) -> Option<&Segment> {
    segments
        .iter()
        .find(|g| (g.r.0..=g.r.1).contains(&s.r) && (g.f.0..=g.f.1).contains(&s.f))
}

/// The usual RFM segment map over recency and frequency, most specific first; every pair of
/// scores falls in one.
pub fn default_segments() -> Vec<Segment> {
    let g = |code: &str, zh: &str, en: &str, r: (u8, u8), f: (u8, u8)| Segment {
        code: code.into(),
        name_zh: zh.into(),
        name_en: en.into(),
        r,
        f,
    };
    vec![
        g("champions", "重要价值客户", "Champions", (4, 5), (4, 5)),
        g("loyal", "忠诚客户", "Loyal customers", (3, 5), (3, 5)),
        g("new", "新客户", "New customers", (5, 5), (1, 1)),
        g("promising", "有潜力的新客户", "Promising", (4, 5), (1, 2)),
        g(
            "need_attention",
            "需要关注",
            "Need attention",
            (3, 3),
            (1, 2),
        ),
        g(
            "cant_lose",
            "不能失去的客户",
            "Can't lose them",
            (1, 1),
            (4, 5),
        ),
        g("at_risk", "有流失风险", "At risk", (1, 2), (3, 5)),
        g("hibernating", "休眠客户", "Hibernating", (2, 2), (1, 2)),
        g("lost", "已流失", "Lost", (1, 1), (1, 2)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ordered_bits_sort_like_total_cmp() {
        let mut v = vec![
            3.5,
            -0.0,
            0.0,
            -7.25,
            f64::INFINITY,
            f64::NEG_INFINITY,
            1e-300,
            -1e-300,
        ];
        let mut by_bits = v.clone();
        v.sort_by(f64::total_cmp);
        by_bits.sort_by_key(|x| ordered_bits(*x));
        assert_eq!(
            v.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
            by_bits.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
        );
    }

    #[test]
    fn ten_distinct_values_make_two_per_quintile() {
        let v: Vec<(i64, f64)> = (1..=10).map(|i| (i, i as f64)).collect();
        assert_eq!(quintiles(&v), vec![1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
    }

    #[test]
    fn ties_share_the_score_of_the_first() {
        // Six of ten bought once: all get 1, whatever their ids or order.
        let v = [
            (9, 1.0),
            (3, 1.0),
            (5, 1.0),
            (1, 1.0),
            (7, 1.0),
            (2, 1.0),
            (4, 2.0),
            (6, 3.0),
            (8, 3.0),
            (10, 9.0),
        ];
        let q = quintiles(&v);
        assert_eq!(q, vec![1, 1, 1, 1, 1, 1, 4, 4, 4, 5]);
        assert_eq!(quintiles(&[(1, 5.0), (2, 5.0)]), vec![1, 1]);
        assert!(quintiles(&[]).is_empty());
    }

    #[test]
    fn every_pair_of_scores_has_a_segment() {
        let segments = default_segments();
        for r in 1..=5 {
            for f in 1..=5 {
                assert!(
                    segment_of(&segments, Scores { r, f, m: 3 }).is_some(),
                    "r {r} f {f}"
                );
            }
        }
        let recent_often = segment_of(&segments, Scores { r: 5, f: 5, m: 1 });
        assert_eq!(recent_often.map(|s| s.code.as_str()), Some("champions"));
        let gone = segment_of(&segments, Scores { r: 1, f: 1, m: 5 });
        assert_eq!(gone.map(|s| s.code.as_str()), Some("lost"));
    }

    proptest! {
        #[test]
        fn scores_follow_the_values_and_not_the_order(
            values in proptest::collection::vec(0u8..20, 1..200)
        ) {
            let v: Vec<(i64, f64)> = values.iter().enumerate().map(|(i, x)| (i as i64, f64::from(*x))).collect();
            let q = quintiles(&v);
            for i in 0..v.len() {
                prop_assert!((1..=5).contains(&q[i]));
                for j in 0..v.len() {
                    if v[i].1 == v[j].1 { prop_assert_eq!(q[i], q[j]); }
                    if v[i].1 < v[j].1 { prop_assert!(q[i] <= q[j]); }
                }
            }
            // The same customers in reverse order score the same.
            let mut rev = v.clone();
            rev.reverse();
            let mut back = quintiles(&rev);
            back.reverse();
            prop_assert_eq!(back, q);
        }
    }
}
