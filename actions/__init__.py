"""Custom actions (rasa-sdk), split by concern: procedure answers, case status, conversation."""
