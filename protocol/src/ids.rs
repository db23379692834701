//! u64 IDs as decimal strings on the wire; numbers are accepted on input too.

use serde::{Deserialize, Deserializer, Serializer, de};

/// Serializes a u64 as a decimal string.
pub fn serialize<S: Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

/// Deserializes a u64 from a decimal string or a non-negative integer.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Id<'a> {
        Num(u64),
        Str(std::borrow::Cow<'a, str>),
    }
    match Id::deserialize(d)? {
        Id::Num(n) => Ok(n),
        Id::Str(s) => s
            .parse()
            .map_err(|_| de::Error::custom("expected an id: a decimal string of a u64")),
    }
}

/// The OpenAPI schema `Id`: an id on the wire, a decimal string of a u64 (every id
/// field and path parameter refers to it, so the pattern is written once). It stops at
/// 1.8e19 so that a schema-valid id always parses; Snowflake ids stay below 2^63.
#[cfg(feature = "openapi")]
pub struct IdSchema;

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for IdSchema {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some("^([0-9]{1,19}|1[0-7][0-9]{18})$"))
            .description(Some("A u64 id as a decimal string."))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for IdSchema {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("Id")
    }
}

/// The same for `Vec<u64>`.
pub mod vec {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    struct Id(#[serde(with = "super")] u64);

    /// Serializes each id as a decimal string.
    pub fn serialize<S: Serializer>(v: &[u64], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(|i| Id(*i)))
    }

    /// Deserializes a list of ids given as strings or numbers.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u64>, D::Error> {
        Ok(Vec::<Id>::deserialize(d)?
            .into_iter()
            .map(|i| i.0)
            .collect())
    }
}

/// The same for `Option<u64>`.
pub mod option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    struct Id(#[serde(with = "super")] u64);

    /// Serializes an optional id as a decimal string or null.
    pub fn serialize<S: Serializer>(v: &Option<u64>, s: S) -> Result<S::Ok, S::Error> {
        v.map(Id).serialize(s)
    }

    /// Deserializes an optional id given as a string, a number or null.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
        Ok(Option::<Id>::deserialize(d)?.map(|i| i.0))
    }
}
