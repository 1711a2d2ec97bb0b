//! Members' duty records (委员履职档案, issue 15): what each member did in a China calendar
//! year — proposals led and co-signed, pieces of information submitted and adopted, visits,
//! briefings read, commendations — and a duty score weighted as the office configures.
//! Every figure is counted in SQL over the organization's members (a handful of GROUP BY
//! queries, whatever the number of members) by the business date of the fact.
pub mod export;
pub mod figures;
pub mod graphql;
pub mod policy;
pub mod service;
pub mod weights;
