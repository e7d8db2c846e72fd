package io.svcplane.eventlog.export;

import java.io.IOException;

/**
 * An export file that cannot be read as one: not an export file, a newer format version, cut
 * short or corrupted. The message names the file, what is wrong and where (record number, byte
 * offset), ready to show a user.
 */
public final class ExportFormatException extends IOException {
  public ExportFormatException(String message) {
    super(message);
  }
}
