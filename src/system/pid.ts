/** Whether a process with this pid exists on this machine. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0); // signal 0: nothing is sent, only the pid looked up
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else; only ESRCH proves it is gone.
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}
