//! Measuring the site build: a synthetic repository of any size ([`synthetic`], with its
//! evidence ledger from [`synthetic_evidence`]) and the `bench-site` benchmark over fresh ones
//! ([`site`]).

pub mod site;
pub mod synthetic;
pub mod synthetic_evidence;
