//! Choosing a backend from configuration: `embedded:<dir>` or `tikv://pd,...`.

use std::path::PathBuf;
use std::sync::Arc;

use natter_store::{EmbeddedStore, SharedStore, StoreError};

use crate::tikv::{TikvConfig, TikvStore};

/// Which backend to open, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreSpec {
    /// The embedded fjall store in a local folder (one process only).
    Embedded(PathBuf),
    /// A TiKV cluster.
    Tikv(TikvConfig),
}

impl StoreSpec {
    /// Parses `embedded:<dir>` or `tikv://host:port[,host:port]` (TiKV with default settings).
    pub fn parse(spec: &str) -> Result<Self, StoreError> {
        if let Some(dir) = spec.strip_prefix("embedded:") {
            if dir.is_empty() {
                return Err(StoreError::Backend {
                    message: "embedded: needs a folder, e.g. embedded:./data/store".into(),
                    retryable: false,
                });
            }
            return Ok(Self::Embedded(PathBuf::from(dir)));
        }
        if spec.starts_with("tikv://") {
            return TikvConfig::from_url(spec).map(Self::Tikv);
        }
        Err(StoreError::Backend {
            message: format!(
                "unknown store {spec:?}: use embedded:<dir> or tikv://pd1:2379,pd2:2379"
            ),
            retryable: false,
        })
    }

    /// Opens (or connects to) the store.
    pub async fn open(&self) -> Result<SharedStore, StoreError> {
        Ok(match self {
            Self::Embedded(dir) => Arc::new(EmbeddedStore::open(dir)?),
            Self::Tikv(config) => Arc::new(TikvStore::connect(config.clone()).await?),
        })
    }
}

impl std::fmt::Display for StoreSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Embedded(dir) => write!(f, "embedded:{}", dir.display()),
            Self::Tikv(c) => write!(f, "tikv://{}", c.pd_endpoints.join(",")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_backends_and_refuses_others() {
        assert_eq!(
            StoreSpec::parse("embedded:./data/store").ok(),
            Some(StoreSpec::Embedded("./data/store".into()))
        );
        let Ok(StoreSpec::Tikv(c)) = StoreSpec::parse("tikv://pd1:2379, pd2:2379/") else {
            panic!("tikv spec");
        };
        assert_eq!(c.pd_endpoints, vec!["pd1:2379", "pd2:2379"]);
        assert!(StoreSpec::parse("tikv://").is_err());
        assert!(StoreSpec::parse("embedded:").is_err());
        assert!(StoreSpec::parse("redis://x").is_err());
        assert_eq!(
            StoreSpec::parse("tikv://a:1,b:2")
                .map(|s| s.to_string())
                .ok(),
            Some("tikv://a:1,b:2".to_string())
        );
    }
}
