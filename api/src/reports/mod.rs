//! The annual report (年度工作综述, issue 15): a year's figures of one organization counted
//! from its records (`figures`), who may read them and when members may (`service`), as
//! GraphQL (`graphql`) and as documents — HTML, Word, Markdown — at
//! `GET /reports/annual/{year}` (`documents`, `download`).
pub mod documents;
pub mod download;
pub mod figures;
pub mod graphql;
pub mod service;
