//! TiKV's memcomparable byte encoding, used for region boundaries on the PD side.
//!
//! The transactional client encodes keys before asking PD which region holds
//! them, and decodes the region boundaries PD returns; the keys it sends to TiKV
//! itself are plain. Groups of 8 bytes, zero-padded, each followed by a marker
//! byte `0xFF - padding`.

const GROUP: usize = 8;
const MARKER: u8 = 0xFF;

/// Encodes `key` (an empty key stays empty: it means "unbounded" in a region).
pub fn encode(key: &[u8]) -> Vec<u8> {
    if key.is_empty() {
        return Vec::new();
    }
    encode_always(key)
}

/// Encodes `key`, giving an empty key its one padded group.
pub fn encode_always(key: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity((key.len() / GROUP + 1) * (GROUP + 1));
    let mut chunks = key.chunks(GROUP);
    loop {
        let chunk = chunks.next().unwrap_or(&[]);
        let pad = GROUP - chunk.len();
        out.extend_from_slice(chunk);
        out.extend(std::iter::repeat_n(0u8, pad));
        out.push(MARKER - pad as u8);
        if pad > 0 {
            return out;
        }
        if chunks.len() == 0 {
            // A key whose length is a multiple of 8 ends with an all-padding group.
            out.extend_from_slice(&[0; GROUP]);
            out.push(MARKER - GROUP as u8);
            return out;
        }
    }
}

/// Decodes an encoded key; `None` if it is not validly encoded.
pub fn decode(data: &[u8]) -> Option<Vec<u8>> {
    if data.is_empty() {
        return Some(Vec::new());
    }
    let mut out = Vec::with_capacity(data.len());
    let mut rest = data;
    loop {
        if rest.len() < GROUP + 1 {
            return None;
        }
        let (group, tail) = rest.split_at(GROUP);
        let pad = (MARKER - tail[0]) as usize;
        if pad > GROUP {
            return None;
        }
        out.extend_from_slice(&group[..GROUP - pad]);
        if pad > 0 {
            return Some(out);
        }
        rest = &tail[1..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_keeps_order() {
        let keys: Vec<Vec<u8>> = vec![
            vec![],
            vec![0],
            vec![1, 2, 3],
            vec![1, 2, 3, 4, 5, 6, 7, 8],
            vec![1, 2, 3, 4, 5, 6, 7, 8, 0],
            vec![0xFF; 17],
        ];
        for k in &keys {
            assert_eq!(decode(&encode_always(k)).as_deref(), Some(k.as_slice()));
        }
        let mut sorted = keys.clone();
        sorted.sort();
        let mut enc: Vec<Vec<u8>> = sorted.iter().map(|k| encode_always(k)).collect();
        let before = enc.clone();
        enc.sort();
        assert_eq!(enc, before, "encoding preserves order");
        assert_eq!(encode_always(&[]), vec![0, 0, 0, 0, 0, 0, 0, 0, 0xF7]);
    }
}
