//! Work over many customers split across the machine's cores with scoped threads (no pool to
//! keep, no unsafe): each pass is one likelihood evaluation or one scoring sweep.

/// Below this many items a pass runs on the calling thread.
const SMALL: usize = 20_000;

fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// `f` over contiguous chunks of `data`, one per core, the results in chunk order.
pub fn chunks<T: Sync, R: Send>(data: &[T], f: impl Fn(&[T]) -> R + Sync) -> Vec<R> {
    let n = threads();
    if n <= 1 || data.len() < SMALL {
        return vec![f(data)];
    }
    let size = data.len().div_ceil(n);
    let f = &f;
    std::thread::scope(|s| {
        let handles: Vec<_> = data.chunks(size).map(|c| s.spawn(move || f(c))).collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

/// `f` of every item, in order, computed across the cores.
pub fn map<T: Sync, R: Send>(data: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let parts = chunks(data, |c| c.iter().map(&f).collect::<Vec<R>>());
    let mut out = Vec::with_capacity(data.len());
    for p in parts {
        out.extend(p);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn chunks_cover_everything_once_in_order() {
        let data: Vec<u64> = (0..100_003).collect();
        let sums = super::chunks(&data, |c| c.iter().sum::<u64>());
        assert_eq!(sums.iter().sum::<u64>(), data.iter().sum::<u64>());
        let doubled = super::map(&data, |v| v * 2);
        assert!(doubled.iter().zip(&data).all(|(d, v)| *d == v * 2));
        assert_eq!(super::map(&[] as &[u64], |v| *v), Vec::<u64>::new());
    }
}
