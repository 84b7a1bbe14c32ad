//! Demo data and the synthetic generator: EPCIS 2.0 JSON-LD documents for realistic
//! Vietnamese supply chains. Pure: produces documents, writes nothing.
