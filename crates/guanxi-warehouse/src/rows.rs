//! The plain rows a caller hands in. They are defined beside the operational store's other
//! plain types (`guanxi_store::warehouse`), which reads them; the warehouse itself knows nothing
//! of that store. Every row names its organisation.

pub use guanxi_store::warehouse::{
    ChannelRow, CustomerRow, InteractionRow, LoadBatch, OrderLineRow, OrderRow, OwnerRow,
    ProductRow, RegionRow,
};
