"""Reason codes: why a row was dropped or dead-lettered. Snake_case constants, one place."""

# Reading
UNREADABLE_LINE = "unreadable_line"
INVALID_UTF8 = "invalid_utf8"
INVALID_JSON = "invalid_json"
MISSING_TEXT_FIELD = "missing_text_field"
EMPTY_FILE = "empty_file"
UNREADABLE_FILE = "unreadable_file"
UNSUPPORTED_FORMAT = "unsupported_format"  # file extension names no known format
MISSING_ID_FIELD = "missing_id_field"

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

# LLM serving
STRUCTURED_OUTPUT_INVALID = "structured_output_invalid"  # JSON that fails the request's schema

# Tool use: generation output and format verification (stage "verify_format")
MISSING_QUERY = "missing_query"
MALFORMED_CALLS = "malformed_calls"
INVALID_TOOLS = "invalid_tool_definitions"
ARGUMENTS_NOT_JSON = "arguments_not_json"
ARGUMENTS_NOT_OBJECT = "arguments_not_object"
UNKNOWN_FUNCTION = "unknown_function"  # the name is in no tool library at all
FUNCTION_NOT_OFFERED = "function_not_offered"  # a real tool, but not one offered to this row
MISSING_REQUIRED_ARGUMENT = "missing_required_argument"
UNEXPECTED_ARGUMENT = "unexpected_argument"
WRONG_ARGUMENT_TYPE = "wrong_argument_type"
INVALID_ARGUMENT_VALUE = "invalid_argument_value"
CALL_COUNT_MISMATCH = "call_count_mismatch"
DUPLICATE_CALL = "duplicate_call"  # the same function with the same arguments twice in one turn

# Tool use: execution verification (stage "verify_execution"), in a sandboxed subprocess
NO_IMPLEMENTATION = "no_implementation"
EXECUTION_ERROR = "execution_error"
EXECUTION_TIMEOUT = "execution_timeout"
EXECUTION_CPU_LIMIT = "execution_cpu_limit"
EXECUTION_MEMORY_LIMIT = "execution_memory_limit"
EXECUTION_CRASHED = "execution_crashed"
EXECUTION_OUTPUT_TOO_LARGE = "execution_output_too_large"
SANDBOX_NETWORK_DENIED = "sandbox_network_denied"
SANDBOX_PROCESS_DENIED = "sandbox_process_denied"
SANDBOX_WRITE_DENIED = "sandbox_write_denied"
SANDBOX_IMPORT_DENIED = "sandbox_import_denied"
SANDBOX_NATIVE_CODE_DENIED = "sandbox_native_code_denied"

# Tool use: semantic verification by an LLM judge (stage "verify_semantic")
JUDGE_REJECTED = "judge_rejected"

# Rewrites and derived rows: self-instruct, evol-instruct, paraphrase, multi-turn
NO_INSTRUCTION = "no_instruction"  # the input row has no user turn to rewrite or answer
REPEATS_INPUT = "repeats_input"  # the model gave back the text it was asked to change
COPIED_EXAMPLE = "copied_example"  # the model copied a few-shot example of its prompt
NOT_AN_INSTRUCTION = "not_an_instruction"  # a rewrite that reads as an answer, not a request

# Curation (filters, decontamination)
CONTAMINATED = "contaminated"  # written as "contaminated:<eval set name>"
REPETITION_DUP_LINES = "repetition_dup_lines"
REPETITION_TOP_NGRAM = "repetition_top_ngram"
REFUSAL = "refusal"
LOW_ALPHA_FRACTION = "low_alpha_fraction"
REPLACEMENT_CHARS = "replacement_chars"
LOW_JUDGE_SCORE = "low_judge_score"
MISSING_JUDGE_SCORE = "missing_judge_score"
