//! rpm's version comparison, for choosing the newest release tag the way rpm would.

use std::cmp::Ordering;

/// rpm's version comparison (`rpmvercmp` of rpm 4.15 and later, with `~` and `^`).
pub fn rpmvercmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    let separator = |c: u8| !c.is_ascii_alphanumeric() && c != b'~' && c != b'^';
    while i < a.len() || j < b.len() {
        while i < a.len() && separator(a[i]) {
            i += 1;
        }
        while j < b.len() && separator(b[j]) {
            j += 1;
        }
        let (x, y) = (a.get(i).copied(), b.get(j).copied());
        if x == Some(b'~') || y == Some(b'~') {
            if x != Some(b'~') {
                return Ordering::Greater;
            }
            if y != Some(b'~') {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        if x == Some(b'^') || y == Some(b'^') {
            if x.is_none() {
                return Ordering::Less;
            }
            if y.is_none() {
                return Ordering::Greater;
            }
            if x != Some(b'^') {
                return Ordering::Greater;
            }
            if y != Some(b'^') {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        if x.is_none() || y.is_none() {
            break;
        }
        let numeric = a[i].is_ascii_digit();
        let take = |s: &[u8], from: usize| {
            let mut end = from;
            while end < s.len()
                && if numeric {
                    s[end].is_ascii_digit()
                } else {
                    s[end].is_ascii_alphabetic()
                }
            {
                end += 1;
            }
            end
        };
        let (ei, ej) = (take(a, i), take(b, j));
        if ej == j {
            // Segments of different kinds: a number is newer than letters.
            return if numeric {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        let (mut sa, mut sb) = (&a[i..ei], &b[j..ej]);
        if numeric {
            while sa.first() == Some(&b'0') {
                sa = &sa[1..];
            }
            while sb.first() == Some(&b'0') {
                sb = &sb[1..];
            }
            match sa.len().cmp(&sb.len()) {
                Ordering::Equal => {}
                other => return other,
            }
        }
        match sa.cmp(sb) {
            Ordering::Equal => {}
            other => return other,
        }
        i = ei;
        j = ej;
    }
    match (i >= a.len(), j >= b.len()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        _ => Ordering::Greater,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vercmp_orders_rpms_own_cases() {
        // Pairs with a < b, from rpm's own test suite and Asterisk's shapes (the e2e
        // `rpm_versions_sort_under_rpm` asks rpm itself).
        let less = [
            ("1.0", "1.0.1"),
            ("1.0~rc1", "1.0"),
            ("1.0~rc1", "1.0~rc2"),
            ("1.0", "1.0^git1"),
            ("1.0^git1", "1.0.1"),
            ("1.0^git1", "1.0^git2"),
            ("1.0~rc1^git1", "1.0"),
            ("22.8~cert4", "22.8"),
            ("22.8", "22.8+cert4"),
            ("21^5.1.a", "21.0.0"),
            ("23.5.0", "24.0.0~~master^1.2.abc"),
            ("24.0.0~~master^1.2.abc", "24.0.0~pre1"),
            ("2.0a", "2.0.1"),
            ("a", "1"),
            ("1.010", "1.11"),
            ("1.0", "1.0a"),
        ];
        for (a, b) in less {
            assert_eq!(rpmvercmp(a, b), Ordering::Less, "{a} < {b}");
            assert_eq!(rpmvercmp(b, a), Ordering::Greater, "{b} > {a}");
        }
        for (a, b) in [("1.0", "1.0"), ("1.01", "1.1"), ("1_0", "1.0")] {
            assert_eq!(rpmvercmp(a, b), Ordering::Equal, "{a} = {b}");
        }
    }
}
