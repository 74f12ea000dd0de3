// Folio names for diff --ignore pfn (DiffOptions::ignore_pfn): a folio is
// named after its allocation, "@<op>.<n>" for the n-th folio allocated by
// op <op>, and a split's pieces after their parent, "@<op>.<n>+<page
// offset>". A folio moved whole keeps its name at its new PFN. Two logs
// whose allocators hand out other PFNs for the same folios then name their
// events alike. The namer reads one log's events in order, from the events
// themselves (a binary log) or from their lines (a text log); the names
// are the same either way.
#ifndef MMREPLAY_REPLAY_FOLIO_NAMER_H_
#define MMREPLAY_REPLAY_FOLIO_NAMER_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "mm/event.h"

namespace mmreplay::replay {

struct FolioName {
  uint64_t op = 0;
  // 0: no name (a PFN no allocation in the log named: a compaction zone's).
  // An op that allocates more than 2^32 - 1 folios (no log of a real
  // machine) would reuse names.
  uint32_t n = 0;
  // Pages from the allocated folio's head; below 2^kMaxPageOrder.
  uint32_t offset = 0;

  bool named() const { return n != 0; }
  bool operator==(const FolioName& o) const {
    return op == o.op && n == o.n && offset == o.offset;
  }
  bool operator!=(const FolioName& o) const { return !(*this == o); }
};

// "@3.1", or "@3.1+256" for a piece of a split.
std::string FolioNameText(const FolioName& name);

// A namer is copied to give two logs that begin alike the names the one
// has at their first difference.
class FolioNamer {
 public:
  // The fields of an event the names come from.
  struct Fields {
    uint64_t op = 0;
    EventKind kind = EVENT_KIND_UNSPECIFIED;
    bool has_pfn = false;
    uint64_t pfn = 0;
    // EVENT_SPLIT: the folio's order (unset: the pieces get no names) and
    // the pieces' orders.
    bool has_order = false;
    uint32_t order = 0;
    absl::Span<const mm::Event::OrderRun> new_orders;
    bool has_dst = false;
    uint64_t dst = 0;
    bool has_parent = false;
    uint64_t parent = 0;
  };
  // The names of an event's PFN fields: pfn=, dst= (EVENT_MIGRATE) and
  // parent= (EVENT_SPLIT_PIECE). An unnamed one stays a number.
  struct Names {
    FolioName pfn, dst, parent;
    bool operator==(const Names& o) const {
      return pfn == o.pfn && dst == o.dst && parent == o.parent;
    }
  };

  // The fields of an event (repeat 1).
  static Fields FieldsOf(const mm::Event& event);
  // The fields of an event's line ("9 split pfn=0x200 order=9 ...") of op
  // `op`: the kinds the namer reads by their names, the others as
  // unspecified.
  // *runs holds the split's orders. A field that does not parse is left
  // out, and the orders up to the first that does not (a damaged log).
  static Fields FieldsOfLine(uint64_t op, absl::string_view line,
                             std::vector<mm::Event::OrderRun>* runs);

  // Reads the next event of the log: updates the names (an allocation
  // names its folio, a split its pieces, a free drops the name, a
  // migration moves it) and gives the names its fields are compared by.
  Names Name(const Fields& event);

  // Name() of the n events of a run (mm::Event::Nth) that `first` heads:
  // theirs are first.pfn + i, their other fields first's. Into names[0..n)
  // (null: the names are not wanted, only the names' changes).
  void NameRun(const Fields& first, uint32_t n, Names* names);

  // Blocks of names held, and names held past them (for tests: a block
  // goes with its last name).
  size_t blocks() const { return names_.blocks(); }

  // Writes `names` over the values of pfn=, dst= and parent= on `line`, a
  // line of the event they were given for.
  static void Apply(const Names& names, std::string* line);

 private:
  // Names by PFN, in blocks of 64 PFNs (neighbours are looked up
  // together, a split's pieces named together), found by their index, for
  // the first 2^28 PFNs (a machine of 1 TiB); a block goes when its last
  // name does, and is kept for reuse (so the blocks held are at most as
  // many as were ever named at once). A PFN past those (a damaged log's)
  // is named alone, hashed.
  class Table {
   public:
    Table() = default;
    // A copy of every name (the spare blocks not).
    Table(const Table& other);
    Table(Table&&) = default;
    Table& operator=(const Table&) = delete;

    // The name at `pfn`; unnamed if none.
    FolioName Find(uint64_t pfn);
    void Set(uint64_t pfn, const FolioName& name);
    void Erase(uint64_t pfn);
    // The names at pfn .. pfn + n - 1, into names[0..n) (null: not
    // wanted); with erase, they are unset.
    void FindRange(uint64_t pfn, uint32_t n, bool erase, FolioName* names);
    // Blocks held, and names past them.
    size_t blocks() const;

   private:
    static constexpr int kShift = 6;
    static constexpr uint32_t kBlockPfns = 1u << kShift;
    static constexpr uint64_t kDirectPfns = uint64_t{1} << 28;
    struct Block {
      std::array<FolioName, kBlockPfns> names;
      uint32_t live = 0;
    };
    // The place of the block of `pfn` (below kDirectPfns); null when it
    // has none and create is false.
    std::unique_ptr<Block>* SlotOf(uint64_t pfn, bool create);
    // Gives back the block at *slot, whose last name went.
    void Release(std::unique_ptr<Block>* slot);

    std::vector<std::unique_ptr<Block>> direct_;
    absl::flat_hash_map<uint64_t, FolioName> far_;
    std::vector<std::unique_ptr<Block>> spare_;
  };

  void Split(const Fields& event, const FolioName& id);

  Table names_;
  std::vector<FolioName> found_;  // NameRun()'s
  uint64_t op_ = UINT64_MAX;
  uint32_t allocated_ = 0;
};

}  // namespace mmreplay::replay

#endif  // MMREPLAY_REPLAY_FOLIO_NAMER_H_
