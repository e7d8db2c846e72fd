package io.svcplane.security;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Set;

/**
 * Files that hold keys, tokens or passwords: readable by their owner only (0600, directories
 * 0700), written to a temporary file first and moved in place, so that no other user can read
 * them even for a moment and no reader sees half a file.
 */
public final class OwnerOnlyFiles {
  private static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");
  private static final Set<PosixFilePermission> DIR = PosixFilePermissions.fromString("rwx------");
  private static final SecureRandom RANDOM = new SecureRandom();

  private OwnerOnlyFiles() {}

  /** Creates the directory (and parents) if missing, and makes it 0700. */
  public static Path directory(Path dir) throws IOException {
    Files.createDirectories(dir);
    if (isPosix(dir)) Files.setPosixFilePermissions(dir, DIR);
    return dir;
  }

  /** Writes {@code content} to {@code file} with mode 0600, replacing it atomically. */
  public static void write(Path file, byte[] content) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = dir.resolve("." + file.getFileName() + "." + Long.toUnsignedString(RANDOM.nextLong(), 36) + ".tmp");
    try {
      if (isPosix(dir)) {
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(FILE));
      } else {
        Files.createFile(tmp);
      }
      Files.write(tmp, content, StandardOpenOption.TRUNCATE_EXISTING);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (FileAlreadyExistsException e) {
      throw new IOException("temporary file " + tmp + " exists", e);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  public static void write(Path file, String content) throws IOException {
    write(file, content.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  /** A new random bearer token: 32 bytes of SecureRandom, base64url without padding (43 characters). */
  public static String newToken() {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  /** Null when only the owner may read {@code file}; else what is wrong, for a warning. */
  public static String problem(Path file) {
    try {
      if (!isPosix(file)) return null;
      Set<PosixFilePermission> p = Files.getPosixFilePermissions(file);
      for (PosixFilePermission bad : Set.of(PosixFilePermission.GROUP_READ, PosixFilePermission.OTHERS_READ,
          PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_WRITE)) {
        if (p.contains(bad)) return file + " is readable or writable by others (mode " + PosixFilePermissions.toString(p) + "): chmod 600 it";
      }
      return null;
    } catch (IOException e) {
      return null;
    }
  }

  private static boolean isPosix(Path p) {
    return p.getFileSystem().supportedFileAttributeViews().contains("posix");
  }
}
