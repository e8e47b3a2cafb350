//! Tests of the columnar layer (seeded; a failure prints its seed).
