"""The least-cost plan of count interventions that closes the gap (docs/plan.md)."""
