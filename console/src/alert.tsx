/** An error line that screen readers announce; nothing when there is no message. */
export function Alert({ message }: { message: string | undefined }) {
  return message ? (
    <p role="alert" class="error">
      {message}
    </p>
  ) : null;
}
