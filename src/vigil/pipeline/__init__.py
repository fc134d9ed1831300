"""The observability pipeline: ingestion (eventd), silencing, keepalives, periodic jobs, and
the filter/mutator/handler runner. Import the submodules directly; this package has no
import-time side effects."""
