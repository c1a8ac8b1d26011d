"""Reason codes: why a row was dropped or dead-lettered. Snake_case constants, one place."""

# Reading
UNREADABLE_LINE = "unreadable_line"
INVALID_UTF8 = "invalid_utf8"
INVALID_JSON = "invalid_json"
MISSING_TEXT_FIELD = "missing_text_field"
EMPTY_FILE = "empty_file"
UNREADABLE_FILE = "unreadable_file"

# Generation
CONTEXT_LENGTH = "context_length"
LLM_GAVE_UP = "llm_gave_up"
LLM_CLIENT_ERROR = "llm_client_error"
PARSE_FAILED = "parse_failed"

# Filters
EMPTY = "empty"
TOO_SHORT = "too_short"
TOO_LONG = "too_long"
TRUNCATED = "truncated"  # finish_reason == "length"
EXACT_DUPLICATE = "exact_duplicate"
NEAR_DUPLICATE = "near_duplicate"
