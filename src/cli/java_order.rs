//! Java `HashMap<String, _>` iteration order, which Apache's tools print in where their output
//! is "unspecified" (e.g. `kafka-topics --describe` over several topics). Reproducing it keeps
//! multi-topic output byte-identical to Apache's.

/// Java's `String.hashCode` over UTF-16 code units.
pub fn string_hash(s: &str) -> i32 {
    s.encode_utf16().fold(0i32, |h, unit| {
        h.wrapping_mul(31).wrapping_add(i32::from(unit))
    })
}

/// `HashMap.hash`: the high bits folded into the low ones.
fn spread(h: i32) -> u32 {
    let h = h as u32;
    h ^ (h >> 16)
}

/// The order a `new HashMap<>()` filled with `keys` (in this insertion order) iterates them:
/// by bucket, then insertion order within a bucket; the table starts at 16 and doubles when the
/// size exceeds three quarters of it.
pub fn hash_map_order(keys: Vec<String>) -> Vec<String> {
    const INITIAL_CAPACITY: usize = 16;
    let mut capacity = INITIAL_CAPACITY;
    while keys.len() * 4 > capacity * 3 {
        capacity *= 2;
    }
    let mut indexed: Vec<(usize, usize, String)> = keys
        .into_iter()
        .enumerate()
        .map(|(i, k)| ((spread(string_hash(&k)) as usize) & (capacity - 1), i, k))
        .collect();
    indexed.sort_by_key(|(bucket, insertion, _)| (*bucket, *insertion));
    indexed.into_iter().map(|(_, _, k)| k).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_string_hash() {
        assert_eq!(string_hash(""), 0);
        assert_eq!(string_hash("a"), 97);
        assert_eq!(string_hash("orders"), -1008770331);
    }

    #[test]
    fn order_is_by_bucket() {
        // "a" (97 -> bucket 1) comes before "b" (98 -> bucket 2) whatever the insertion order.
        assert_eq!(
            hash_map_order(vec!["b".into(), "a".into()]),
            vec!["a".to_string(), "b".to_string()]
        );
    }
}
