"""PDF reports from DTOs. No Qt."""
