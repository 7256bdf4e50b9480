//! Shared by the targets: fuzzer-chosen split points for the chunking properties.

/// Splits `data` into split points and a payload: the first byte says how many points
/// (0-7), each point is the next two bytes (little-endian), taken modulo the payload's
/// length + 1. Returns the sorted points and the payload.
pub fn split_points(data: &[u8]) -> (Vec<usize>, &[u8]) {
    let Some((&n, rest)) = data.split_first() else {
        return (Vec::new(), data);
    };
    let n = usize::from(n % 8).min(rest.len() / 2);
    let (head, payload) = rest.split_at(2 * n);
    let mut points: Vec<usize> = head
        .chunks(2)
        .map(|c| usize::from(u16::from_le_bytes([c[0], c[1]])) % (payload.len() + 1))
        .collect();
    points.sort_unstable();
    (points, payload)
}

/// `payload` cut at `points` (sorted), empty pieces included.
pub fn pieces<'a>(payload: &'a [u8], points: &[usize]) -> Vec<&'a [u8]> {
    let mut out = Vec::with_capacity(points.len() + 1);
    let mut at = 0;
    for &p in points {
        out.push(&payload[at..p]);
        at = p;
    }
    out.push(&payload[at..]);
    out
}
