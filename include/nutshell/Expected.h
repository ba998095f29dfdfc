// Errors as values: every library function that can fail on user input returns
// Expected<T> (or Status) instead of throwing, aborting or exiting.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace nutshell {

/// What kind of failure an Error is, for callers that act on it: a model
/// nutshell declines (an op, attribute value or element type it does not
/// support) is not a broken model.
enum class ErrorKind {
  Invalid,      // bad input or a failure: the default
  Unsupported,  // valid input that nutshell does not handle (yet)
};

/// A user-facing error. The message names what failed (file:line:col, node,
/// op, shapes) so it can be printed as is.
struct Error {
  std::string message;
  ErrorKind kind = ErrorKind::Invalid;
};

template <class T>
class [[nodiscard]] Expected {
public:
  Expected(T value) : storage_(std::move(value)) {}
  Expected(Error error) : storage_(std::move(error)) {}

  explicit operator bool() const { return storage_.index() == 0; }
  bool ok() const { return storage_.index() == 0; }

  T& operator*() { return std::get<0>(storage_); }
  const T& operator*() const { return std::get<0>(storage_); }
  T* operator->() { return &std::get<0>(storage_); }
  const T* operator->() const { return &std::get<0>(storage_); }
  T take() { return std::move(std::get<0>(storage_)); }

  const Error& error() const { return std::get<1>(storage_); }
  const std::string& message() const { return std::get<1>(storage_).message; }

private:
  std::variant<T, Error> storage_;
};

/// Success or an Error.
class [[nodiscard]] Status {
public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), failed_(true) {}
  static Status success() { return Status(); }

  explicit operator bool() const { return !failed_; }
  bool ok() const { return !failed_; }
  const Error& error() const { return error_; }
  const std::string& message() const { return error_.message; }

private:
  Error error_;
  bool failed_ = false;
};

inline Error makeError(std::string message) { return Error{std::move(message)}; }
/// An Error of kind Unsupported.
inline Error makeUnsupported(std::string message) {
  return Error{std::move(message), ErrorKind::Unsupported};
}
/// `error` with `prefix` before its message; the kind is kept.
inline Error prefixError(std::string prefix, const Error& error) {
  return Error{prefix + error.message, error.kind};
}

}  // namespace nutshell

/// Propagate an error from an Expected<T> or Status expression.
#define NUTSHELL_TRY(expr)                           \
  do {                                               \
    auto nutshellTryResult_ = (expr);                \
    if (!nutshellTryResult_) return nutshellTryResult_.error(); \
  } while (0)

/// Bind the value of an Expected<T> expression or propagate its error.
#define NUTSHELL_ASSIGN(decl, expr)                  \
  auto NUTSHELL_CONCAT_(tmp_, __LINE__) = (expr);    \
  if (!NUTSHELL_CONCAT_(tmp_, __LINE__)) return NUTSHELL_CONCAT_(tmp_, __LINE__).error(); \
  decl = NUTSHELL_CONCAT_(tmp_, __LINE__).take()
#define NUTSHELL_CONCAT_(a, b) NUTSHELL_CONCAT2_(a, b)
#define NUTSHELL_CONCAT2_(a, b) a##b
