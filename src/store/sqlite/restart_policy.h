#pragma once

// When the SQLite checkpointer starts the log again from its beginning. Pure decisions on page
// counts, apart from the store so that each can be tested without a disk that falls behind.
//
// Copying beside the writer never quite catches up with it, and the log only starts again
// once it is wholly copied: a restart holds every commit back while it copies and syncs what
// is left. Before it, unheld copy-and-sync passes take in what was committed meanwhile, so
// that little is left for the hold (docs/architecture.md has the figures).

namespace subscriberd::store::sqlite {

class RestartPolicy {
 public:
  // Past this many times the checkpoint size, the checkpointer tries a restart. Each hold
  // stalls every insert (10-250 ms, most 25-100, under sustained inserts on the benchmark's
  // machine): at 8 rather than 4 there are half as many, for a log file of about twice the
  // size (docs/performance-history.md, twenty-fourth round).
  static constexpr int kRestartAfterCheckpoints = 8;
  // The catch-up passes go on until one takes in at most this share of a checkpoint, or no
  // less than the one before (a pass never takes in less than what was committed during a
  // sync, so on a busy disk they level off instead of reaching that share), or until this
  // many have run.
  static constexpr int kRemainderDivisor = 8;
  static constexpr int kMostCatchUpPasses = 8;
  // A restart goes ahead when the last pass took in at most this share of a checkpoint (4,000
  // pages at the default; restarts that copied 10,000-12,000 held commits 117-123 ms on the
  // benchmark's machine), or once the log is past this many times the checkpoint size (about
  // 0.8 GB at the default) however much is left.
  static constexpr int kMostHeldDivisor = 2;
  static constexpr int kForcedRestartAfterCheckpoints = 24;

  explicit constexpr RestartPolicy(int checkpoint_frames) : checkpoint_frames_(checkpoint_frames) {}

  // After a checkpoint pass that found the log `log_frames` long: whether to try a restart.
  constexpr bool restart_due(int log_frames) const {
    return log_frames >= kRestartAfterCheckpoints * checkpoint_frames_;
  }

  // After catch-up pass number `pass` (from 0), which took in `taken_in` frames, the pass
  // before it `taken_in_before`: whether the passes stop.
  constexpr bool catch_up_done(int pass, int taken_in, int taken_in_before) const {
    const bool little_new = taken_in <= checkpoint_frames_ / kRemainderDivisor;
    const bool levelled_off = pass > 0 && taken_in >= taken_in_before;
    return little_new || levelled_off || pass + 1 >= kMostCatchUpPasses;
  }

  // After the passes, the last of which took in `taken_in` frames of a log `log_frames`
  // long: whether the restart holds commits now. Passes that level off high mean the disk is
  // behind the inserts, and the hold would copy and sync as much again (132,814 pages for
  // 790 ms, once: docs/performance-history.md, twenty-fifth round); the restart waits for a
  // later turn instead, unless the log has reached its bound.
  constexpr bool restart_now(int taken_in, int log_frames) const {
    const bool short_hold = taken_in <= checkpoint_frames_ / kMostHeldDivisor;
    return short_hold || log_frames >= kForcedRestartAfterCheckpoints * checkpoint_frames_;
  }

 private:
  int checkpoint_frames_;
};

}  // namespace subscriberd::store::sqlite
