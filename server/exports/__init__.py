"""Auditor exports: the definitions tree, BPMN 2.0 and SVG per workflow, the service guide, the
definition change log and the audit trail of tickets — and the import of a definitions tree."""
