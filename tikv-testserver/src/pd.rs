//! The PD service: membership, timestamps, region and store lookups.

use std::pin::Pin;
use std::sync::Arc;

use futures::{Stream, StreamExt};
use tonic::{Request, Response, Status, Streaming};

use crate::cluster::{Cluster, LOGICAL_BITS};
use crate::codec;
use crate::proto::{metapb, pdpb};

/// PD backed by the shared [`Cluster`].
pub struct Pd {
    cluster: Arc<Cluster>,
    url: String,
}

impl Pd {
    /// A PD answering with `url` as its (only, leading) member's client URL.
    pub fn new(cluster: Arc<Cluster>, url: String) -> Self {
        Self { cluster, url }
    }

    fn header(&self) -> Option<pdpb::ResponseHeader> {
        Some(pdpb::ResponseHeader {
            cluster_id: self.cluster.cluster_id,
            error: None,
        })
    }

    fn store(&self, id: u64) -> Option<metapb::Store> {
        let address = self.cluster.address(id)?;
        Some(metapb::Store {
            id,
            address,
            state: metapb::StoreState::Up as i32,
            version: "8.5.0".into(),
            ..Default::default()
        })
    }

    fn region_response(&self, region: Option<crate::cluster::Region>) -> pdpb::GetRegionResponse {
        pdpb::GetRegionResponse {
            header: self.header(),
            leader: region.as_ref().map(|r| r.leader_peer()),
            region: region.map(|r| r.to_proto(self.cluster.stores)),
            ..Default::default()
        }
    }
}

type TsoStream = Pin<Box<dyn Stream<Item = Result<pdpb::TsoResponse, Status>> + Send + 'static>>;

#[tonic::async_trait]
impl pdpb::pd_server::Pd for Pd {
    async fn get_members(
        &self,
        _request: Request<pdpb::GetMembersRequest>,
    ) -> Result<Response<pdpb::GetMembersResponse>, Status> {
        let member = pdpb::Member {
            name: "pd-test".into(),
            member_id: 1,
            client_urls: vec![self.url.clone()],
            peer_urls: vec![self.url.clone()],
            ..Default::default()
        };
        Ok(Response::new(pdpb::GetMembersResponse {
            header: self.header(),
            members: vec![member.clone()],
            leader: Some(member.clone()),
            etcd_leader: Some(member),
            ..Default::default()
        }))
    }

    type TsoStream = TsoStream;

    async fn tso(
        &self,
        request: Request<Streaming<pdpb::TsoRequest>>,
    ) -> Result<Response<Self::TsoStream>, Status> {
        let cluster = Arc::clone(&self.cluster);
        let header = self.header();
        let stream = request.into_inner().map(move |req| {
            let req = req?;
            let tail = cluster.tso(req.count);
            Ok(pdpb::TsoResponse {
                header: header.clone(),
                count: req.count,
                timestamp: Some(pdpb::Timestamp {
                    physical: (tail >> LOGICAL_BITS) as i64,
                    logical: (tail & ((1 << LOGICAL_BITS) - 1)) as i64,
                    suffix_bits: 0,
                }),
            })
        });
        Ok(Response::new(Box::pin(stream)))
    }

    async fn get_store(
        &self,
        request: Request<pdpb::GetStoreRequest>,
    ) -> Result<Response<pdpb::GetStoreResponse>, Status> {
        let id = request.into_inner().store_id;
        let store = self
            .store(id)
            .ok_or_else(|| Status::not_found(format!("store {id}")))?;
        Ok(Response::new(pdpb::GetStoreResponse {
            header: self.header(),
            store: Some(store),
            stats: None,
        }))
    }

    async fn get_all_stores(
        &self,
        _request: Request<pdpb::GetAllStoresRequest>,
    ) -> Result<Response<pdpb::GetAllStoresResponse>, Status> {
        Ok(Response::new(pdpb::GetAllStoresResponse {
            header: self.header(),
            stores: (1..=self.cluster.stores)
                .filter_map(|id| self.store(id))
                .collect(),
        }))
    }

    async fn get_region(
        &self,
        request: Request<pdpb::GetRegionRequest>,
    ) -> Result<Response<pdpb::GetRegionResponse>, Status> {
        let encoded = request.into_inner().region_key;
        let key = codec::decode(&encoded)
            .ok_or_else(|| Status::invalid_argument("region key is not memcomparable-encoded"))?;
        Ok(Response::new(
            self.region_response(self.cluster.region_for(&key)),
        ))
    }

    async fn get_region_by_id(
        &self,
        request: Request<pdpb::GetRegionByIdRequest>,
    ) -> Result<Response<pdpb::GetRegionResponse>, Status> {
        let id = request.into_inner().region_id;
        Ok(Response::new(
            self.region_response(self.cluster.region_by_id(id)),
        ))
    }

    async fn update_gc_safe_point(
        &self,
        request: Request<pdpb::UpdateGcSafePointRequest>,
    ) -> Result<Response<pdpb::UpdateGcSafePointResponse>, Status> {
        // Like PD, the safe point only moves forward.
        let asked = request.into_inner().safe_point;
        let previous = self
            .cluster
            .gc_safe_point
            .fetch_max(asked, std::sync::atomic::Ordering::Relaxed);
        Ok(Response::new(pdpb::UpdateGcSafePointResponse {
            header: self.header(),
            new_safe_point: previous.max(asked),
        }))
    }
}
