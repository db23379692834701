//! Versioned MessagePack values.
//!
//! Every stored value is one version byte followed by `rmp_serde::to_vec_named`
//! output. Named (map) encoding lets fields be added with `#[serde(default)]`
//! without a version bump; the version byte is the escape hatch for changes
//! that named encoding cannot absorb.

use serde::{Serialize, de::DeserializeOwned};

use crate::kv::StoreError;

/// Version byte written in front of every value.
pub const VALUE_VERSION: u8 = 1;

/// Encodes `v` as `[VALUE_VERSION] ++ named MessagePack`.
///
/// # Panics
///
/// Only if `T`'s `Serialize` impl itself reports an error. Writing MessagePack
/// into a `Vec` cannot fail on I/O, and derived impls of plain structs never
/// error, so this depends on the type (a programming bug), never on input
/// bytes. Use [`try_encode`] for types with hand-written impls.
pub fn encode<T: Serialize>(v: &T) -> Vec<u8> {
    try_encode(v).expect("serializing a value type into a Vec cannot fail")
}

/// Like [`encode`] but reports a failing `Serialize` impl as [`StoreError::Codec`].
pub fn try_encode<T: Serialize>(v: &T) -> Result<Vec<u8>, StoreError> {
    let mut out = vec![VALUE_VERSION];
    rmp_serde::encode::write_named(&mut out, v).map_err(|e| StoreError::Codec(e.to_string()))?;
    Ok(out)
}

/// Decodes a value written by [`encode`]; rejects empty input and unknown versions.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, StoreError> {
    match bytes.split_first() {
        None => Err(StoreError::Codec("empty value".into())),
        Some((&VALUE_VERSION, body)) => {
            rmp_serde::from_slice(body).map_err(|e| StoreError::Codec(e.to_string()))
        }
        Some((v, _)) => Err(StoreError::Codec(format!("unknown value version {v}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct V1 {
        id: u64,
        name: String,
    }

    #[derive(Debug, PartialEq, Deserialize)]
    struct V1Extended {
        id: u64,
        name: String,
        #[serde(default)]
        extra: Option<u32>,
    }

    #[test]
    fn round_trip_and_version_byte() {
        let v = V1 {
            id: 7,
            name: "ann".into(),
        };
        let bytes = encode(&v);
        assert_eq!(bytes[0], VALUE_VERSION);
        assert_eq!(decode::<V1>(&bytes).unwrap(), v);
        // Named encoding tolerates added defaulted fields.
        let ext: V1Extended = decode(&bytes).unwrap();
        assert_eq!(ext.extra, None);
        assert_eq!(ext.id, 7);
        assert_eq!(ext.name, "ann");
    }

    #[test]
    fn rejects_bad_input() {
        assert!(matches!(decode::<V1>(&[]), Err(StoreError::Codec(_))));
        assert!(matches!(
            decode::<V1>(&[2, 0x80]),
            Err(StoreError::Codec(_))
        ));
        assert!(matches!(
            decode::<V1>(&[1, 0xC1]),
            Err(StoreError::Codec(_))
        ));
        assert!(matches!(decode::<V1>(&[1]), Err(StoreError::Codec(_))));
    }
}
