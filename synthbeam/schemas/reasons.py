"""Reason codes: why a row was dropped or dead-lettered. Snake_case constants, one place."""

# Reading
INVALID_UTF8 = "invalid_utf8"
INVALID_JSON = "invalid_json"
MISSING_TEXT_FIELD = "missing_text_field"
EMPTY_FILE = "empty_file"
UNREADABLE_FILE = "unreadable_file"
UNSUPPORTED_FORMAT = "unsupported_format"  # file extension names no known format
MISSING_ID_FIELD = "missing_id_field"
INVALID_TEXT = "invalid_text"  # a string no UTF-8 can carry: a lone surrogate such as "\ud800"
TRUNCATED_FILE = "truncated_file"  # compressed data that ends early: the rest of the file is lost
# File-level dead letters after which the rest of a file was not read: input lost, not counted
INPUT_LOST = frozenset({UNREADABLE_FILE, TRUNCATED_FILE})

# Generation
CONTEXT_LENGTH = "context_length"
LLM_GAVE_UP = "llm_gave_up"
LLM_CLIENT_ERROR = "llm_client_error"
INVALID_RESPONSE = "invalid_response"  # answers that were no chat completion, on every attempt
SERVER_UNRESPONSIVE = "server_unresponsive"  # the server answered no one for longer than a whole request budget
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

# Tool use: grounding verification (stage "verify_grounding"), deterministic gates; it also
# gives not_a_request, copied_example and duplicate_request
KIND_MISMATCH = "kind_mismatch"  # the calls do not have the row kind's shape
NOT_A_DECLINE = "not_a_decline"  # an irrelevance reply that does not decline
UNGROUNDED_ARGUMENT = "ungrounded_argument"  # an argument value the request does not state
EXTRA_VALUE = "extra_value"  # the request states a number or name the planned calls do not carry
PADDED_REQUEST = "padded_request"  # content words no planned value or called tool accounts for
UNASKED_CALL = "unasked_call"  # a multi-call request states a call's values, never what it is for

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
JUDGE_CONTRADICTION = "judge_contradiction"  # a passing verdict whose own reason finds fault
JUDGE_NO_REASON = "judge_no_reason"  # a passing verdict with an empty or boilerplate reason

# Rewrites and derived rows: self-instruct, evol-instruct, paraphrase, multi-turn
NO_INSTRUCTION = "no_instruction"  # the input row has no user turn to rewrite or answer
REPEATS_INPUT = "repeats_input"  # the model gave back the text it was asked to change
COPIED_EXAMPLE = "copied_example"  # the model copied a few-shot example of its prompt
NOT_AN_INSTRUCTION = "not_an_instruction"  # a rewrite that reads as an answer, not a request
MISSING_INPUT = "missing_input"  # refers to "the sentence", "this text" ... that it does not carry
NEEDS_NON_TEXT = "needs_non_text"  # needs an image, file, graph or drawing a text model cannot use
NOT_NOVEL = "not_novel"  # ROUGE-L >= 0.7 against a seed task or an earlier kept instruction
INVALID_SEED_TASK = "invalid_seed_task"  # a seed line in neither the Alpaca nor the flat form

# Quality gates (stage "quality"): rows that pass every schema check and are still junk
PROMPT_ECHO = "prompt_echo"  # a turn repeats the prompt's own wording
PLACEHOLDER = "placeholder"  # an unfilled slot: [answer], <response>, {{x}}
REQUEST_EQUALS_ANSWER = "request_equals_answer"
NOT_A_REQUEST = "not_a_request"  # the user turn is neither a question nor an instruction
TWO_QUESTIONS = "two_questions"  # a second question about another subject: "..., and what are X?"
SAME_SUBJECT_TWICE = "same_subject_twice"  # "What are Strings and Strings in Python?"
SUBJECT_VERB_MISMATCH = "subject_verb_mismatch"  # "What are import_module()?", "How does list comprehensions work?"
STUB_ANSWER = "stub_answer"  # a lead-in ("The answer is:"), a few words, or cut off
REPEATED_SENTENCES = "repeated_sentences"
MISSING_CONTEXT = "missing_context"  # "the passage", "this joke": material the row does not carry
UNGROUNDED_ANSWER = "ungrounded_answer"  # the answer's words are not from its passage
OFF_TOPIC_REQUEST = "off_topic_request"  # the request asks what its answer does not address
ANSWER_MISMATCH = "answer_mismatch"  # a "why" answered with no reason, a "difference" with no contrast
ANSWER_NOT_DEFINITION = "answer_not_definition"  # "What is X?" answered without saying what X is
ANSWER_OFF_SUBJECT = "answer_off_subject"  # goes on about a sibling the request does not ask about
REDUNDANT_CANDIDATE = "redundant_candidate"  # another candidate for the same answer was chosen
DUPLICATE_REQUEST = "duplicate_request"  # another kept row asks the same (normalised) request
NO_FITTING_VALUE = "no_fitting_value"  # a tool not planned: a required parameter no value fits

# Curation (filters, decontamination)
CONTAMINATED = "contaminated"  # written as "contaminated:<eval set name>"
REPETITION_DUP_LINES = "repetition_dup_lines"
REPETITION_TOP_NGRAM = "repetition_top_ngram"
REFUSAL = "refusal"
LOW_ALPHA_FRACTION = "low_alpha_fraction"
REPLACEMENT_CHARS = "replacement_chars"
LOW_JUDGE_SCORE = "low_judge_score"
MISSING_JUDGE_SCORE = "missing_judge_score"
