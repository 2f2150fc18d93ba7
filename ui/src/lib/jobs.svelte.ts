// The jobs the UI shows, kept current through each running job's channel.
import {
  exportStart,
  jobCancel,
  jobDiscard,
  jobDismiss,
  jobRetry,
  jobsClearFinished,
  jobsList,
  jobWatch,
  type ExportInput,
  type JobView,
} from "./backend";

export class Jobs {
  /** Newest first, as the backend lists them (job ids sort by time). */
  list = $state<JobView[]>([]);

  /** Loads every job and follows the running ones (resumed at launch, or started earlier). */
  async load(): Promise<void> {
    const jobs = await jobsList();
    this.list = jobs;
    await Promise.all(
      jobs
        .filter((job) => job.status === "running")
        .map((job) => jobWatch(job.id, (view) => this.update(view)).catch(() => undefined)),
    );
  }

  async start(profile: string, input: ExportInput): Promise<JobView> {
    const job = await exportStart(profile, input, (view) => this.update(view));
    this.addIfAbsent(job);
    return job;
  }

  /**
   * Asks the job to stop. Its channel reports the end ("cancelled"), which can arrive before
   * this command's answer, a view taken as it was asked: that answer never overwrites it.
   */
  async cancel(id: string): Promise<void> {
    this.addIfAbsent(await jobCancel(id));
  }

  async dismiss(id: string): Promise<void> {
    this.keepRunning(await jobDismiss(id));
  }

  async discard(id: string): Promise<void> {
    this.keepRunning(await jobDiscard(id));
  }

  async clearFinished(): Promise<void> {
    this.keepRunning(await jobsClearFinished());
  }

  /** Whether any job has ended and can be cleared (done or cancelled). */
  get anyFinished(): boolean {
    return this.list.some((job) => job.status === "done" || job.status === "cancelled" || (job.status === "failed" && !job.resumable));
  }

  /** Takes a listing after a removal; running jobs keep the newer views their channels sent. */
  private keepRunning(listed: JobView[]): void {
    const live = this.list.filter((job) => job.status === "running");
    this.list = listed.map((job) => live.find((running) => running.id === job.id) ?? job);
  }

  async retry(id: string): Promise<void> {
    const job = await jobRetry(id, (view) => this.update(view));
    this.addIfAbsent(job);
  }

  /** A command's answer can arrive after the channel's newer views: it never overwrites them. */
  private addIfAbsent(view: JobView): void {
    if (!this.list.some((job) => job.id === view.id)) this.update(view);
  }

  /** Replaces a job's view, or adds a new one in id order. */
  update(view: JobView): void {
    const at = this.list.findIndex((job) => job.id === view.id);
    if (at >= 0) {
      this.list[at] = view;
    } else {
      this.list = [view, ...this.list].sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    }
  }
}
