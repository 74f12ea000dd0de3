#!/bin/bash
# Writes the input traces of the captured corpus into DIR, one .textproto per
# case. scripts/capture-corpus runs each through mmcapture into
# traces/captured/. To add a case: add a recipe here (a function call at the
# bottom), then run scripts/capture-corpus NAME (docs/capture.md).
#   traces/captured/recipes.sh DIR
set -euo pipefail
dir="$1"
mkdir -p "$dir"

A=0x200000000000          # 2 MiB-aligned base, far from mmcapture's own maps
PAGE=4096

hex() { printf '0x%x' "$1"; }
at() { hex $((A + $1 * PAGE)); }          # address of page N of the region

# begin NAME "description" [knob lines...]: starts a trace.
begin() {
  cur="$dir/$1.textproto"
  local desc="$2"
  shift 2
  {
    echo "header {"
    echo "  format_version: 1"
    echo "  machine {"
    echo "    total_pages: 262144"
    echo "  }"
    echo "  profile {"
    echo "    name: \"linux-6.18\""
    for k in "$@"; do echo "    knob { $k }"; done
    echo "  }"
    echo "  description: \"$desc\""
    echo "}"
  } >"$cur"
}
op() { echo "op { $* }" >>"$cur"; }

# Knob lines.
anon_size() { echo "knob: KNOB_ANON_ORDER_ENABLED order: $1 value: KNOB_VALUE_$2"; }
no_pmd="knob: KNOB_ANON_ORDER_ENABLED order: 9 value: KNOB_VALUE_NEVER"

# Ops. Sizes and offsets in pages.
proc() { op "process_create { pid: ${1:-1} }"; }
pid=1                                     # the process the ops below act in
in_proc() { local was=$pid; pid=$1; shift; "$@"; pid=$was; }  # in_proc PID OP...
forkp() { op "process_fork { parent_pid: $1 child_pid: $2 }"; }
quit() { op "process_exit { pid: $1 }"; }
map() { op "mmap_anon { pid: $pid addr: $(at $1) length_bytes: $(hex $(($2 * PAGE))) prot: 3 flags: 2 }"; }
madv() { op "madvise { pid: $pid addr: $(at $1) length_bytes: $(hex $(($2 * PAGE))) advice: ADVICE_$3 }"; }
write() { op "touch { pid: $pid addr: $(at $1) length_bytes: $(hex $(($2 * PAGE))) access: ACCESS_WRITE }"; }
read() { op "touch { pid: $pid addr: $(at $1) length_bytes: $(hex $(($2 * PAGE))) access: ACCESS_READ }"; }
unmap() { op "munmap { pid: $pid addr: $(at $1) length_bytes: $(hex $(($2 * PAGE))) }"; }
protect() { op "mprotect { pid: $pid addr: $(at $1) length_bytes: $(hex $(($2 * PAGE))) prot: $3 }"; }
pin() { op "pin { pin_id: $1 pid: $pid addr: $(at $2) length_bytes: $(hex $(($3 * PAGE))) kind: PIN_KIND_VMSPLICE }"; }
gup_pin() { op "pin { pin_id: $1 pid: $pid addr: $(at $2) length_bytes: $(hex $(($3 * PAGE))) kind: PIN_KIND_FOLL_PIN }"; }
unpin() { op "unpin { pin_id: $1 }"; }
shrink() { op "deferred_split_scan { }"; }
collapse() { op "collapse { pid: $pid addr: $(at $1) length_bytes: $(hex $(($2 * PAGE))) }"; }
no_khugepaged="knob: KNOB_MAX_PTES_NONE number: 0"
# A THP region of N 2 MiB blocks, faulted in, kept from khugepaged.
thp_region() {
  map 0 $((512 * $1))
  madv 0 $((512 * $1)) HUGEPAGE
  write 0 $((512 * $1))
  madv 0 $((512 * $1)) NOHUGEPAGE
}
# An mTHP region of N pages (no MADV_HUGEPAGE: the PMD size stays off).
mthp_region() {
  map 0 "$1"
  write 0 "$1"
  madv 0 "$1" NOHUGEPAGE
}
file() { op "file_create { file_id: 1 filesystem: FILESYSTEM_TMPFS huge: TMPFS_HUGE_$1 }"; }
pwrite() { op "file_write { file_id: 1 offset_bytes: $(hex $1) length_bytes: $(hex $2) }"; }
punch() { op "punch_hole { file_id: 1 offset_bytes: $(hex $1) length_bytes: $(hex $2) }"; }
trunc() { op "truncate { file_id: 1 size_bytes: $(hex $1) }"; }
fmap() { op "mmap_file { pid: $pid addr: $(at 0) length_bytes: $(hex $1) prot: 3 flags: 1 file_id: 1 }"; }
fmap_private() { op "mmap_file { pid: $pid addr: $(at 0) length_bytes: $(hex $1) prot: 3 flags: 2 file_id: 1 }"; }
MiB=$((1 << 20))

# --- anonymous PMD THP ------------------------------------------------------
begin anon_pmd_write_fault "a write fault in a MADV_HUGEPAGE region maps one PMD THP"
proc; map 0 512; madv 0 512 HUGEPAGE; write 0 512; madv 0 512 NOHUGEPAGE

begin anon_pmd_read_then_write "a read fault maps the huge zero folio; a write then allocates the THP"
proc; map 0 512; madv 0 512 HUGEPAGE; read 0 1; write 0 1; madv 0 512 NOHUGEPAGE

for spec in "0 1" "1 1" "255 1" "511 1" "100 16" "0 256" "256 256" "3 500"; do
  set -- $spec
  begin "anon_pmd_dontneed_${1}_${2}" "MADV_DONTNEED of pages [$1, +$2) of a PMD THP, then the shrinker"
  proc; thp_region 1; madv "$1" "$2" DONTNEED; shrink
done

begin anon_pmd_munmap_lower_half "munmap of the lower half of a PMD THP, then the shrinker"
proc; thp_region 1; unmap 0 256; shrink
begin anon_pmd_munmap_upper_half "munmap of the upper half of a PMD THP, then the shrinker"
proc; thp_region 1; unmap 256 256; shrink
begin anon_pmd_dontneed_whole "MADV_DONTNEED of a whole PMD THP frees it without deferral"
proc; thp_region 1; madv 0 512 DONTNEED; shrink
begin anon_pmd_munmap_whole "munmap of a whole PMD THP frees it without deferral"
proc; thp_region 1; unmap 0 512; shrink
begin anon_pmd_madv_free_page "MADV_FREE of one page of a PMD THP splits it at once"
proc; thp_region 1; madv 7 1 FREE; shrink
begin anon_pmd_madv_free_whole "MADV_FREE of a whole PMD THP"
proc; thp_region 1; madv 0 512 FREE; shrink
begin anon_pmd_mprotect_page "mprotect of one page splits the PMD mapping only"
proc; thp_region 1; protect 5 1 1; shrink
begin anon_pmd_mprotect_unchanged "mprotect of one page to the protection it has changes nothing: the PMD stays"
proc; thp_region 1; protect 5 1 3; shrink
begin anon_pmd_nohugepage_unchanged "MADV_NOHUGEPAGE of one page of a VMA that has it changes nothing: the PMD stays"
proc; thp_region 1; madv 5 1 NOHUGEPAGE; shrink
begin anon_pmd_mprotect_page_munmap "munmap of a THP whose PMD an mprotect split: the zap goes VMA by VMA, so its first batch leaves the THP partly mapped and queued"
proc; thp_region 1; protect 5 1 1; unmap 0 512; shrink
begin anon_pmd_mprotect_back_munmap "munmap of a PTE-mapped THP in one VMA again (mprotect of a page and back merges the VMAs): one batch, freed, never queued"
proc; thp_region 1; protect 5 1 1; protect 5 1 3; unmap 0 512; shrink
begin anon_pmd_pinned_madv_free_page "MADV_FREE of one page of a pinned PMD THP: the split fails once and the THP stays PMD-mapped"
proc; thp_region 1; pin 1 10 1; madv 7 1 FREE; unpin 1; shrink
begin anon_pmd_fork_madv_free_page "MADV_FREE of one page of a PMD THP shared after fork: skipped, no split"
proc; thp_region 1; forkp 1 2; madv 7 1 FREE; shrink
begin anon_pmd_pinned_shrinker "a pinned THP's deferred split fails until the pin is gone"
proc; thp_region 1; pin 1 10 1; madv 1 1 DONTNEED; shrink; shrink; unpin 1; shrink
begin anon_pmd_dontneed_straddle "MADV_DONTNEED across the boundary of two PMD THPs"
proc; thp_region 2; madv 500 24 DONTNEED; shrink
begin anon_pmd_dontneed_two_thps "partial MADV_DONTNEED in each of two PMD THPs"
proc; thp_region 2; madv 3 1 DONTNEED; madv 700 2 DONTNEED; shrink
begin anon_pmd_refault_after_dontneed "a zapped page of a queued THP faults in as a new small page"
proc; thp_region 1; madv 1 1 DONTNEED; write 1 1; shrink
begin anon_pmd_unaligned_vma "a VMA with no aligned 2 MiB block gets no PMD THP"
proc; map 1 512; madv 1 512 HUGEPAGE; write 1 512; madv 1 512 NOHUGEPAGE
begin anon_pmd_nohugepage_vma "MADV_NOHUGEPAGE before the fault: small pages only"
proc; map 0 512; madv 0 512 NOHUGEPAGE; write 0 512
begin anon_pmd_scattered_dontneed "many scattered MADV_DONTNEEDs, one THP queued once"
proc; thp_region 1; for p in 2 40 41 300 511; do madv $p 1 DONTNEED; done; shrink
begin anon_pmd_munmap_middle "munmap of pages in the middle of a PMD THP, then the shrinker"
proc; thp_region 1; unmap 128 128; shrink
begin anon_pmd_after_table_freed "munmap frees the PTE table it empties (free_pgtables): a VMA made again over the 2 MiB gets a PMD THP"
proc; map 256 256; write 256 1; unmap 256 256; map 0 256; map 256 256
madv 0 512 HUGEPAGE; write 0 1; madv 0 512 NOHUGEPAGE

begin anon_collapse_after_split "MADV_COLLAPSE re-forms a THP the shrinker split" "$no_khugepaged"
proc; map 0 512; madv 0 512 HUGEPAGE; write 0 512; madv 1 1 DONTNEED; shrink; collapse 0 512
begin anon_collapse_small_pages "MADV_COLLAPSE of a block faulted in small pages" "$no_khugepaged"
proc; map 0 512; madv 0 512 NOHUGEPAGE; write 0 300; madv 0 512 HUGEPAGE; collapse 0 512

begin anon_pmd_underused_split "the shrinker splits a THP with more zero pages than max_ptes_none allows, remapping them to the zero page" "knob: KNOB_MAX_PTES_NONE number: 256"
proc; map 0 512; madv 0 512 HUGEPAGE; write 0 100; madv 0 512 NOHUGEPAGE; shrink
begin anon_pmd_not_underused "a THP with no more zero pages than max_ptes_none allows is left whole by the shrinker" "knob: KNOB_MAX_PTES_NONE number: 256"
proc; map 0 512; madv 0 512 HUGEPAGE; write 0 300; madv 0 512 NOHUGEPAGE; shrink
begin anon_pmd_underused_default_knob "at the default max_ptes_none (511) no THP is underused, however many zero pages it has"
proc; map 0 512; madv 0 512 HUGEPAGE; write 0 1; madv 0 512 NOHUGEPAGE; shrink
# --- anonymous mTHP -----------------------------------------------------------
for o in 2 3 4; do
  size=$((4 << o))
  begin "mthp${size}k_write_fault" "a write fault takes a ${size}K folio where the aligned block fits" \
    "$(anon_size $o ALWAYS)"
  proc; mthp_region 64
  begin "mthp${size}k_dontneed_page" "MADV_DONTNEED of one page of a ${size}K folio, then the shrinker" \
    "$(anon_size $o ALWAYS)"
  proc; mthp_region 64; madv 1 1 DONTNEED; shrink
done
begin mthp64k_vma_edges "VMA edges that cut 64K blocks take the highest order that fits" \
  "$(anon_size 2 ALWAYS)" "$(anon_size 3 ALWAYS)" "$(anon_size 4 ALWAYS)"
proc; map 3 58; write 3 58; madv 3 58 NOHUGEPAGE
begin mthp_all_sizes "16K, 32K and 64K enabled: the highest order whose block fits is taken" \
  "$(anon_size 2 ALWAYS)" "$(anon_size 3 ALWAYS)" "$(anon_size 4 ALWAYS)"
proc; mthp_region 64
begin mthp64k_prepopulated_pte "a populated PTE in the 64K block forces a lower order" \
  "$(anon_size 2 ALWAYS)" "$(anon_size 3 ALWAYS)" "$(anon_size 4 ALWAYS)"
proc; map 0 32; madv 0 32 NOHUGEPAGE; write 5 1; madv 0 32 HUGEPAGE; write 0 32; madv 0 32 NOHUGEPAGE
begin mthp64k_zero_page_pte "a zero-page PTE counts as populated" \
  "$(anon_size 2 ALWAYS)" "$(anon_size 3 ALWAYS)" "$(anon_size 4 ALWAYS)"
proc; map 0 32; read 9 1; write 0 9; write 10 22; madv 0 32 NOHUGEPAGE
begin mthp64k_read_fault "read faults map the zero page: no mTHP on read" "$(anon_size 4 ALWAYS)"
proc; map 0 32; read 0 32; write 0 1; madv 0 32 NOHUGEPAGE
begin mthp64k_nohugepage "MADV_NOHUGEPAGE disables every order" "$(anon_size 4 ALWAYS)"
proc; map 0 32; madv 0 32 NOHUGEPAGE; write 0 32
begin mthp64k_madvise_knob "a per-size knob set to madvise needs MADV_HUGEPAGE" "$(anon_size 4 MADVISE)"
proc; map 0 32; write 0 16; madv 0 32 HUGEPAGE; write 16 16; madv 0 32 NOHUGEPAGE
begin mthp64k_dontneed_straddle "MADV_DONTNEED across two 64K folios, then the shrinker" "$(anon_size 4 ALWAYS)"
proc; mthp_region 64; madv 14 4 DONTNEED; shrink
begin mthp64k_zap_whole_folio "MADV_DONTNEED of exactly one 64K folio frees it without deferral" "$(anon_size 4 ALWAYS)"
proc; mthp_region 64; madv 16 16 DONTNEED; shrink
begin mthp64k_munmap_partial "munmap of part of a 64K folio, then the shrinker" "$(anon_size 4 ALWAYS)"
proc; mthp_region 64; unmap 40 8; shrink
begin mthp32k_madv_free_page "MADV_FREE of one page of a 32K folio" "$(anon_size 3 ALWAYS)"
proc; mthp_region 32; madv 2 1 FREE; shrink
begin mthp64k_fork_madv_free_page "MADV_FREE of one page of a 64K folio shared after fork: skipped, no split" "$(anon_size 4 ALWAYS)"
proc; mthp_region 32; forkp 1 2; madv 2 1 FREE; shrink
begin mthp64k_dontneed_then_madv_free "MADV_FREE over the whole of a 64K folio one of whose pages is gone: its mapped PTEs are fewer than its pages, so it splits" "$(anon_size 4 ALWAYS)"
proc; mthp_region 32; madv 16 1 DONTNEED; madv 16 16 FREE; shrink
begin mthp64k_mprotect_page_munmap "munmap of 64K folios one page of which an mprotect made read-only: the zap goes VMA by VMA, so that folio is queued first" "$(anon_size 4 ALWAYS)"
proc; mthp_region 32; protect 3 1 1; unmap 0 32; shrink
begin mthp64k_pinned_shrinker "a pinned 64K folio's deferred split fails until unpinned" "$(anon_size 4 ALWAYS)"
proc; mthp_region 32; pin 1 3 1; madv 5 1 DONTNEED; shrink; unpin 1; shrink
begin mthp_mixed_partial_unmaps "partial zaps and unmaps over folios of three sizes, then the shrinker" \
  "$(anon_size 2 ALWAYS)" "$(anon_size 3 ALWAYS)" "$(anon_size 4 ALWAYS)"
proc; map 0 96; madv 0 96 NOHUGEPAGE; madv 0 96 HUGEPAGE; write 0 96; madv 0 96 NOHUGEPAGE
madv 2 1 DONTNEED; madv 20 3 DONTNEED; unmap 88 4; madv 40 8 DONTNEED; shrink

# --- fork and copy on write (process 2 is process 1's child) ---------------
begin anon_fork_pmd_child_write "after fork, the child's write to a shared PMD THP splits its PMD and copies one page"
proc; thp_region 1; forkp 1 2; in_proc 2 write 5 1; shrink
begin anon_fork_pmd_parent_write "after fork, the parent's write to the shared PMD THP splits the parent's PMD"
proc; thp_region 1; forkp 1 2; write 5 1; in_proc 2 write 6 1; shrink
begin anon_fork_pmd_child_exit "after the child exits, the parent's write reuses the THP it maps alone"
proc; thp_region 1; forkp 1 2; quit 2; write 5 1; shrink
begin anon_fork_pmd_child_dontneed "the child's MADV_DONTNEED of a page of a shared THP, then the shrinker, then the child exits"
proc; thp_region 1; forkp 1 2; in_proc 2 madv 3 1 DONTNEED; shrink; quit 2; shrink
begin anon_fork_pmd_child_munmap_whole "the child unmaps all of a shared THP: the parent's PMD keeps it"
proc; thp_region 1; forkp 1 2; in_proc 2 unmap 0 512; shrink
begin anon_fork_pte_mapped_thp "fork of a PTE-mapped THP: the child writes, both zap pages, then the shrinker"
proc; thp_region 1; madv 1 1 DONTNEED; forkp 1 2; in_proc 2 write 2 1; in_proc 2 madv 100 4 DONTNEED; madv 200 1 DONTNEED; shrink
begin anon_fork_huge_zero "fork of a huge zero PMD: the child's write allocates a THP of its own"
proc; map 0 512; madv 0 512 HUGEPAGE; read 0 1; forkp 1 2; in_proc 2 write 0 1; write 9 1; madv 0 512 NOHUGEPAGE; in_proc 2 madv 0 512 NOHUGEPAGE
begin mthp64k_fork_child_write "after fork, writes to a shared 64K folio copy one page each" "$(anon_size 4 ALWAYS)"
proc; mthp_region 32; forkp 1 2; in_proc 2 write 3 1; write 20 1; shrink
begin mthp64k_fork_child_exit "after the child exits, the parent writes to the 64K folios it maps alone" "$(anon_size 4 ALWAYS)"
proc; mthp_region 32; forkp 1 2; in_proc 2 write 3 1; quit 2; write 4 1; write 20 1; shrink
begin mthp64k_fork_child_dontneed "the child zaps part of a shared 64K folio, then the shrinker" "$(anon_size 4 ALWAYS)"
proc; mthp_region 32; forkp 1 2; in_proc 2 madv 2 2 DONTNEED; shrink; quit 2; shrink
begin mthp64k_fork_single_page_left "a 64K folio with one page left mapped is not reused: the write copies it" "$(anon_size 4 ALWAYS)"
proc; mthp_region 16; forkp 1 2; in_proc 2 madv 1 15 DONTNEED; madv 0 16 DONTNEED; in_proc 2 write 0 1; shrink
begin mthp64k_fork_pinned_not_reused "a pinned 64K folio is not reused after the child exits: a reference is not a mapping" "$(anon_size 4 ALWAYS)"
proc; mthp_region 16; pin 1 3 1; forkp 1 2; quit 2; write 5 1; unpin 1; write 6 1; shrink
begin mthp64k_fork_two_children "two children share the 64K folios; once both exit the parent reuses them" "$(anon_size 4 ALWAYS)"
proc; mthp_region 32; forkp 1 2; forkp 1 3; in_proc 3 write 20 1; write 4 1; quit 2; write 5 1; quit 3; write 6 1; write 21 1; shrink
begin mthp64k_fork_last_of_three "the parent and its first child exit: the second child, which had no MM slot of the folio, maps the 64K folio alone, yet its writes copy (folio_maybe_mapped_shared stays set)" "$(anon_size 4 ALWAYS)"
proc; mthp_region 16; forkp 1 2; forkp 1 3; quit 1; quit 2; in_proc 3 write 5 1; in_proc 3 write 6 1; shrink
begin mthp64k_fork_last_of_three_madv_free "the parent and its first child exit: MADV_FREE by the second child of part of the 64K folio it maps alone skips it as maybe mapped shared" "$(anon_size 4 ALWAYS)"
proc; mthp_region 16; forkp 1 2; forkp 1 3; quit 1; quit 2; in_proc 3 madv 2 4 FREE; shrink
begin anon_pmd_fork_last_of_three_split "the parent and its first child exit; the second child splits the PMD of the THP it maps alone (its PTEs take a free MM slot, yet the bit stays set), and its write copies the page"
proc; thp_region 1; forkp 1 2; forkp 1 3; quit 1; quit 2; in_proc 3 madv 9 1 DONTNEED; in_proc 3 write 5 1; shrink
begin mthp64k_fork_slot_owner_last "the two children exit: the parent, which holds an MM slot of the folio, maps it alone again and reuses it on a write" "$(anon_size 4 ALWAYS)"
proc; mthp_region 16; forkp 1 2; forkp 1 3; quit 3; quit 2; write 5 1; shrink
# --- FOLL_PIN (an io_uring registered buffer) and fork ------------------------
begin anon_pmd_foll_pin_fork "fork of a THP with a FOLL_PIN page: the parent's PMD splits and the child gets copies of all its pages"
proc; thp_region 1; gup_pin 1 10 1; forkp 1 2; in_proc 2 write 0 1; unpin 1; shrink
begin anon_pmd_foll_pin_shared "a FOLL_PIN of a page of a THP shared after fork: the write fault copies the page first"
proc; thp_region 1; forkp 1 2; gup_pin 1 10 1; unpin 1; shrink
begin anon_small_foll_pin_fork "fork after FOLL_PIN of two small pages: the child gets copies of those two, shares the rest"
proc; map 0 16; madv 0 16 NOHUGEPAGE; write 0 16; gup_pin 1 2 2; forkp 1 2; in_proc 2 write 2 1; in_proc 2 write 5 1; unpin 1
begin mthp64k_foll_pin_fork "fork after FOLL_PIN of a page of a 64K folio: the child copies that folio's pages and shares the other folio" "$(anon_size 4 ALWAYS)"
proc; mthp_region 32; gup_pin 1 3 1; forkp 1 2; unpin 1; in_proc 2 write 20 1; shrink
begin shmem_always_foll_pin_unfaulted "a FOLL_PIN of a shmem mapping not yet faulted faults the page-cache folio in and pins it: a punch then cannot split it"
proc; file ALWAYS; trunc $((2 * MiB)); fmap $((2 * MiB)); gup_pin 1 5 1; punch $((2 * PAGE)) $PAGE; unpin 1; punch $((3 * PAGE)) $PAGE
begin shmem_always_fork "fork does not copy a shared tmpfs mapping's page tables (vma_needs_copy): the child faults the THP in by its own PMD, the parent's stays writable"
proc; file ALWAYS; pwrite 0 $((2 * MiB)); fmap $((2 * MiB)); write 0 512; forkp 1 2; in_proc 2 read 0 1; in_proc 2 write 5 1; quit 2; write 0 1
begin anon_pmd_pinned_exit "a process exits holding a vmsplice pin on a THP it shares with its child: the exit releases the pin, so the child's write reuses the THP"
proc; thp_region 1; pin 1 10 1; forkp 1 2; quit 1; in_proc 2 write 5 1; shrink
begin anon_pmd_foll_pin_exit "a process exits holding a FOLL_PIN (io_uring) on a THP: the exit releases the pin and the THP is freed; the child keeps its copies"
proc; thp_region 1; gup_pin 1 10 1; forkp 1 2; quit 1; in_proc 2 write 5 1
begin anon_pmd_foll_pin_unwritten "a FOLL_PIN of unfaulted THP memory faults a THP in but writes nothing: unpinned, it is all zeros and the shrinker splits it as underused" "knob: KNOB_MAX_PTES_NONE number: 300"
proc; map 0 512; madv 0 512 HUGEPAGE; gup_pin 1 0 256; unpin 1; shrink
begin anon_pmd_foll_pin_copy_keeps_data "a FOLL_PIN in a fork's child copies the THP page it pins, data and all: collapsed again, the child's THP has no zero page, so the shrinker leaves it" "$no_khugepaged"
proc; thp_region 1; forkp 1 2; in_proc 2 gup_pin 1 5 1; unpin 1; in_proc 2 madv 0 512 HUGEPAGE; in_proc 2 collapse 0 512; shrink
begin anon_pmd_huge_zero_write_underused "a write to the huge zero folio faults in a THP of one written page: is it queued for the underused shrinker?" "knob: KNOB_MAX_PTES_NONE number: 256"
proc; map 0 512; madv 0 512 HUGEPAGE; read 0 512; write 5 1; shrink
# --- fork of memory that was only read (no anon_vma) ----------------------------
begin anon_read_only_fork "fork of private anonymous memory that was only read (the zero page): the VMA has no anon_vma, so the child's page tables are not copied"
proc; map 0 16; madv 0 16 NOHUGEPAGE; read 0 16; forkp 1 2; in_proc 2 read 0 1; quit 2; write 0 1
begin anon_pmd_huge_zero_fork "fork after a read of THP memory (the huge zero folio): the PMD fault prepared the anon_vma, so the child gets the huge zero PMD"
proc; map 0 512; madv 0 512 HUGEPAGE; read 0 512; forkp 1 2; quit 2; write 0 1
# --- mprotect and PageAnonExclusive --------------------------------------------
begin anon_pmd_mprotect_pinned_write "mprotect read-only then read-write of a pinned THP: the write needs no copy (the pages stay exclusive)"
proc; thp_region 1; pin 1 10 1; protect 0 512 1; protect 0 512 3; write 5 1; unpin 1; shrink
begin mthp64k_mprotect_pinned_write "mprotect read-only then read-write of a pinned 64K folio: the write needs no copy" "$(anon_size 4 ALWAYS)"
proc; mthp_region 32; pin 1 3 1; protect 0 32 1; protect 0 32 3; write 3 1; write 20 1; unpin 1; shrink
begin anon_pmd_foll_pin_mprotect_fork "fork of a FOLL_PIN THP made read-only: its pages are still exclusive, so the child gets copies"
proc; thp_region 1; gup_pin 1 10 1; protect 0 512 1; forkp 1 2; unpin 1; shrink
# --- shmem, huge=always -------------------------------------------------------
begin shmem_always_write_4k "a 4 KiB write on huge=always allocates a PMD-sized folio"
file ALWAYS; pwrite 0 $PAGE
begin shmem_always_write_2m "a 2 MiB write on huge=always"
file ALWAYS; pwrite 0 $((2 * MiB))
begin shmem_always_fault_1m "mmap faults use PMD order only: a 1 MiB file faults in small pages"
proc; file ALWAYS; trunc $MiB; fmap $MiB; write 0 256; madv 0 256 NOHUGEPAGE
begin shmem_always_fault_2m "a 2 MiB file faulted through mmap gets a PMD-mapped folio"
proc; file ALWAYS; trunc $((2 * MiB)); fmap $((2 * MiB)); write 0 512; madv 0 512 NOHUGEPAGE
for p in 0 1 2 100 255 511; do
  begin "shmem_always_punch_page_$p" "punch page $p of a 2 MiB huge=always folio"
  file ALWAYS; pwrite 0 $((2 * MiB)); punch $((p * PAGE)) $PAGE
done
begin shmem_always_punch_pages_2_3 "punch pages 2-3 of a huge=always folio"
file ALWAYS; pwrite 0 $((2 * MiB)); punch $((2 * PAGE)) $((2 * PAGE))
begin shmem_always_punch_second_half "punch the second half of a huge=always folio"
file ALWAYS; pwrite 0 $((2 * MiB)); punch $MiB $MiB
begin shmem_always_punch_no_whole_page "a punch that covers no whole page still splits"
file ALWAYS; pwrite 0 $((2 * MiB)); punch 100 4000
begin shmem_always_punch_across_page "a sub-page punch across a page boundary"
file ALWAYS; pwrite 0 $((2 * MiB)); punch 6000 4000
begin shmem_always_punch_unaligned_multi "an unaligned punch covering several pages"
file ALWAYS; pwrite 0 $((2 * MiB)); punch 6000 20000
begin shmem_always_punch_two_folios "a punch spanning two huge=always folios"
file ALWAYS; pwrite 0 $((4 * MiB)); punch $((2 * MiB - 2 * PAGE)) $((4 * PAGE))
begin shmem_always_punch_100_300 "punch pages [100, 300) of a huge=always folio (KERNEL.md's example)"
file ALWAYS; pwrite 0 $((2 * MiB)); punch $((100 * PAGE)) $((200 * PAGE))
begin shmem_always_truncate_1m_100 "truncate a huge=always folio to 1 MiB + 100 bytes"
file ALWAYS; pwrite 0 $((2 * MiB)); trunc $((MiB + 100))
begin shmem_always_truncate_0 "truncate a huge=always file to 0"
file ALWAYS; pwrite 0 $((2 * MiB)); trunc 0
begin shmem_always_pinned_punch "a pinned folio cannot split: the punch only zeroes"
proc; file ALWAYS; pwrite 0 $((2 * MiB)); fmap $((2 * MiB)); write 0 512; madv 0 512 NOHUGEPAGE; pin 1 8 1; punch $((2 * PAGE)) $PAGE; unpin 1; punch $((3 * PAGE)) $PAGE
begin shmem_always_mapped_punch "a mapped folio splits on punch: the split unmaps it"
proc; file ALWAYS; pwrite 0 $((2 * MiB)); fmap $((2 * MiB)); write 0 512; madv 0 512 NOHUGEPAGE; punch $((2 * PAGE)) $PAGE; write 0 512

begin shmem_collapse_after_punch "seed 004's ping-pong: punch splits a shmem THP, collapse re-forms it" "$no_khugepaged"
proc; file ALWAYS; pwrite 0 $((2 * MiB)); fmap $((2 * MiB)); write 0 512; punch $((2 * PAGE)) $PAGE; collapse 0 512; punch $((7 * PAGE)) $PAGE

# --- MAP_PRIVATE file mappings: copy on write into anonymous pages -----------
begin shmem_private_read_then_write "a private mapping of a tmpfs THP: a read maps it by a read-only PMD; a write splits the PMD (which goes) and copies the page"
proc; file ALWAYS; pwrite 0 $((2 * MiB)); fmap_private $((2 * MiB)); read 0 512; write 5 1
begin shmem_private_write_first "a write to a private mapping before any read: the copy is mapped alone; later reads map the page-cache pages by PTE"
proc; file ALWAYS; pwrite 0 $((2 * MiB)); fmap_private $((2 * MiB)); write 5 1; read 0 512
begin shmem_private_write_hole "a write to a private mapping of a hole: the page cache gets its folio, the process only the copy"
proc; file ALWAYS; trunc $((2 * MiB)); fmap_private $((2 * MiB)); write 5 1
begin shmem_private_punch_truncate "copies of a private mapping survive a hole punch but not a truncate (even_cows)"
proc; file NEVER; pwrite 0 $((16 * PAGE)); fmap_private $((16 * PAGE)); read 0 16; write 5 1; forkp 1 2; in_proc 2 write 6 1; write 7 1; quit 2; punch $((5 * PAGE)) $((2 * PAGE)); trunc $((4 * PAGE))
begin shmem_private_fork "fork copies a private file mapping's page tables once it has copies (an anon_vma), never a file PMD"
proc; file ALWAYS; pwrite 0 $((2 * MiB)); fmap_private $((2 * MiB)); read 0 512; forkp 1 2; write 5 1; read 0 512; forkp 1 3; in_proc 3 write 6 1; quit 2; quit 3; write 5 1
# --- shmem, huge=within_size -------------------------------------------------
begin shmem_within_size_write_64k "huge=within_size: a 64 KiB write gets an order-4 folio"
file WITHIN_SIZE; pwrite 0 $((64 << 10))
begin shmem_within_size_write_2m "huge=within_size: a 2 MiB write gets a PMD-sized folio"
file WITHIN_SIZE; pwrite 0 $((2 * MiB))
begin shmem_within_size_two_1m_writes "huge=within_size: two 1 MiB writes get two order-8 folios"
file WITHIN_SIZE; pwrite 0 $MiB; pwrite $MiB $MiB
begin shmem_within_size_write_4k "huge=within_size: a 4 KiB write gets a small page"
file WITHIN_SIZE; pwrite 0 $PAGE
begin shmem_within_size_writes_16x64k "huge=within_size: 16 writes of 64 KiB"
file WITHIN_SIZE; for i in $(seq 0 15); do pwrite $((i * 65536)) 65536; done
begin shmem_within_size_punch_page_2 "huge=within_size: punch page 2 of an order-4 folio"
file WITHIN_SIZE; pwrite 0 $((64 << 10)); punch $((2 * PAGE)) $PAGE
begin shmem_within_size_punch_2m "huge=within_size: punch page 5 of a PMD-sized folio"
file WITHIN_SIZE; pwrite 0 $((2 * MiB)); punch $((5 * PAGE)) $PAGE
begin shmem_within_size_truncate "huge=within_size: truncate into an order-4 folio"
file WITHIN_SIZE; pwrite 0 $((64 << 10)); trunc $((20 * PAGE))
begin shmem_within_size_fault "huge=within_size: a 2 MiB file faulted through mmap"
proc; file WITHIN_SIZE; trunc $((2 * MiB)); fmap $((2 * MiB)); write 0 512; madv 0 512 NOHUGEPAGE
# --- from the random-scenario campaign (scripts/campaign), minimized ---------
begin shmem_truncate_same_size "truncate to the size the file has: shmem_setattr truncates from it all the same, so EOF inside a THP splits it (campaign seed 3131)"
file ALWAYS; pwrite 0 $((0x1065)); trunc $((0x1065)); trunc $((3 * PAGE)); trunc $((3 * PAGE))
begin shmem_unused_huge_shrink "drop_caches runs tmpfs's own shrinker: a THP past EOF is split and its pages past EOF go (shmem_unused_huge_shrink; campaign seed 2005)"
file ALWAYS; pwrite 0 $((0x1065)); shrink
begin shmem_unused_huge_shrink_nothing_to_gain "a THP allocated past EOF, the file then grown to the THP's end: nothing to gain, the shrinker leaves it"
file ALWAYS; pwrite 0 $((0x1065)); trunc $((2 * MiB)); shrink
begin shmem_unused_huge_shrink_mapped "the shrinker's split of a mapped THP past EOF: its PMD mapping goes with the split"
proc; file ALWAYS; pwrite 0 $((5 * PAGE)); fmap $((5 * PAGE)); read 0 5; shrink; read 0 5
begin shmem_fault_around "a read fault of a file mapping maps the page-cache pages around it too (do_fault_around, 64 KiB; campaign seed 3147)"
proc; file NEVER; pwrite 0 $((0x2141)); fmap $((3 * PAGE)); read 1 1
begin shmem_fault_around_window "fault-around maps the present pages of the 16-page window around the fault, inside the VMA, not past EOF"
proc; file NEVER; pwrite 0 $((40 * PAGE)); punch $((20 * PAGE)) $((2 * PAGE)); fmap $((40 * PAGE)); read 18 1; read 37 1
begin shmem_unused_huge_shrink_last_page "a THP allocated with EOF one page short of its end is on the shrinklist (DIV_ROUND_UP(i_size) < folio_next_index): the shrinker drops its last page"
file ALWAYS; trunc $((2 * MiB - PAGE)); pwrite 0 1; shrink
begin shmem_fault_around_vma_start "fault-around's window is clipped to the VMA's start: a VMA at page 8 of a PMD, read at its page 2, maps file pages 0-15"
proc; file NEVER; pwrite 0 $((40 * PAGE))
op "mmap_file { pid: 1 addr: $(at 8) length_bytes: $(hex $((24 * PAGE))) prot: 3 flags: 1 file_id: 1 }"
op "touch { pid: 1 addr: $(at 10) length_bytes: $(hex $PAGE) access: ACCESS_READ }"
begin shmem_fault_around_whole_folio "fault-around maps a large folio whole where the VMA and the page table hold it: a read of 8 pages at page 255 of a punched THP maps its order-8 and order-7 pieces (campaign seed 5088)"
proc; file ALWAYS; pwrite 0 $((2 * MiB)); fmap $((2 * MiB)); punch $((0x1ff000)) $((2 * MiB)); read 255 8
begin shmem_unused_huge_shrink_folio_at_eof "the shrinker leaves a large folio that ends at EOF's page: a truncate to the same size left an order-4 folio there (campaign seed 5144)"
file ALWAYS; pwrite 0 $((64 << 10)); trunc $((64 << 10)); shrink
begin shmem_unused_huge_shrink_folio_at_eof_within_size "the same for an order-1 folio that huge=within_size gave the end of a write (campaign seed 5091)"
file WITHIN_SIZE; pwrite $((0x1993)) $((4 * MiB)); shrink
# --- compaction (compact_memory) ----------------------------------------------
compact() { op "compact { mode: COMPACT_MODE_MEMORY }"; }
begin compact_memory_thp "compact_memory leaves a PMD-mapped THP where it is (order >= pageblock order is never isolated)"
proc; thp_region 1; compact
begin compact_memory_mthp64k "compact_memory over 16 PTE-mapped 64K mTHPs: each moved whole is left partially mapped and queued (split_deferred +2), the next shrinker run splits it" \
  "$(anon_size 4 ALWAYS)"
proc; mthp_region 256; compact; shrink
# The size set to madvise, not always: other processes' faults would move its
# counters (with always they did, during a capture beside a campaign).
mthp_region_madv() { map 0 "$1"; madv 0 "$1" HUGEPAGE; write 0 "$1"; madv 0 "$1" NOHUGEPAGE; }
begin compact_memory_mthp64k_foll_pin "compact_memory leaves 16 FOLL_PIN-pinned 64K mTHPs where they are (a pinned anonymous folio is never isolated); unpinned, the shrinker finds none of them queued" \
  "$(anon_size 4 MADVISE)"
proc; mthp_region_madv 256; gup_pin 1 0 256; compact; unpin 1; shrink
begin compact_memory_mthp16k_foll_pin "the same for 64 FOLL_PIN-pinned 16K mTHPs" \
  "$(anon_size 2 MADVISE)"
proc; mthp_region_madv 256; gup_pin 1 0 256; compact; unpin 1; shrink
begin compact_memory_shmem_thp "compact_memory leaves a tmpfs file's order-9 folios where they are (order >= pageblock order is never isolated)"
file ALWAYS; pwrite 0 $((4 * MiB)); compact; shrink
# Per-folio outcomes (expect_compaction, issue 24 item 5): what is the same
# on every run is checked; folios the scanners reach on some runs only are
# marked unstable.
begin compact_memory_thp_two "compact_memory leaves two PMD-mapped THPs where they are (order 9 is never isolated)"
proc; thp_region 2; compact
begin compact_memory_thp_pte_mapped "compact_memory leaves a THP whose PMD mapping was split by mprotect of one page (an order-9 folio, PTE-mapped) where it is"
proc; thp_region 1; protect 1 1 1; compact
begin compact_memory_thp_then_shrink "a THP partially unmapped (queued for deferred split), compact_memory leaves it, the shrinker then splits it to order 0"
proc; thp_region 1; op "madvise { pid: 1 addr: $(at 1) length_bytes: $(hex $PAGE) advice: ADVICE_DONTNEED }"; compact; shrink
begin compact_memory_mthp32k_foll_pin "compact_memory leaves 32 FOLL_PIN-pinned 32K mTHPs where they are; unpinned, the shrinker finds none queued" \
  "$(anon_size 3 MADVISE)"
proc; mthp_region_madv 256; gup_pin 1 0 256; compact; unpin 1; shrink
begin compact_memory_mthp32k_foll_pin_dontneed "32 FOLL_PIN-pinned 32K mTHPs, page 1 zapped (the first folio partially mapped, queued): compact_memory leaves them all; unpinned, the shrinker splits the queued one" \
  "$(anon_size 3 MADVISE)"
proc; mthp_region_madv 256; gup_pin 1 0 256; madv 1 1 DONTNEED; compact; unpin 1; shrink
begin compact_memory_mthp64k_pin_half "16 64K mTHPs, the first 8 FOLL_PIN-pinned: compact_memory leaves those; the other 8 it reaches or not as the rest of the machine decides (unstable)" \
  "$(anon_size 4 MADVISE)"
proc; mthp_region_madv 256; gup_pin 1 0 128; compact; unpin 1; shrink
begin compact_memory_mthp16k "compact_memory over 64 unpinned 16K mTHPs: which it moves or splits the rest of the machine decides (unstable), then the shrinker" \
  "$(anon_size 2 MADVISE)"
proc; mthp_region_madv 256; compact; shrink
begin compact_memory_mthp32k "the same for 32 unpinned 32K mTHPs" \
  "$(anon_size 3 MADVISE)"
proc; mthp_region_madv 256; compact; shrink
begin compact_memory_mthp_mixed_foll_pin "16K, 32K and 64K mTHPs side by side, FOLL_PIN-pinned: compact_memory leaves every one" \
  "$(anon_size 2 MADVISE)" "$(anon_size 3 MADVISE)" "$(anon_size 4 MADVISE)"
proc; map 0 64; madv 0 64 HUGEPAGE; in_proc 1 op "sysfs_set { knob: KNOB_ANON_ORDER_ENABLED order: 4 value: KNOB_VALUE_NEVER }"; op "sysfs_set { knob: KNOB_ANON_ORDER_ENABLED order: 3 value: KNOB_VALUE_NEVER }"; write 0 4; op "sysfs_set { knob: KNOB_ANON_ORDER_ENABLED order: 3 value: KNOB_VALUE_MADVISE }"; write 8 8; op "sysfs_set { knob: KNOB_ANON_ORDER_ENABLED order: 4 value: KNOB_VALUE_MADVISE }"; write 16 16; write 32 32; madv 0 64 NOHUGEPAGE; gup_pin 1 0 64; compact; unpin 1; shrink
begin compact_memory_shmem_always_punch "a tmpfs (huge=always) THP punched at page 2 leaves folios of orders 0-8: compact_memory moves or splits them as the machine decides (unstable), the order-9 neighbour stays" \
  "knob: KNOB_SHMEM_ORDER_ENABLED order: 9 value: KNOB_VALUE_INHERIT"
file ALWAYS; pwrite 0 $((4 * MiB)); punch $((2 * PAGE)) $PAGE; compact; shrink
begin compact_memory_shmem_within_size_punch "a tmpfs (huge=within_size) file of 64K folios with pages punched: compact_memory over the file's small folios (unstable where the machine decides)"
file WITHIN_SIZE; pwrite 0 $MiB; punch $((3 * PAGE)) $PAGE; punch $((40 * PAGE)) $((2 * PAGE)); compact; shrink
begin shmem_unused_huge_shrink_mthp "an order-4 folio a later write allocated past EOF puts the file back on the shrinklist; the shrinker splits the folio at EOF's page (campaign seed 7190)"
file ALWAYS; pwrite 0 $PAGE; shrink; pwrite $((2 * PAGE)) $((16 * PAGE)); shrink
begin shmem_unused_huge_shrink_mthp_order1 "the same for an order-1 folio at EOF (campaign seed 7203)"
file ALWAYS; pwrite 0 $((0x1805)); shrink; pwrite $((0x1805)) $((0x14c1)); shrink
# --- fallocate (modes 0 and KEEP_SIZE) -----------------------------------------
falloc() { op "fallocate { file_id: 1 offset_bytes: $(hex $1) length_bytes: $(hex $2) }"; }
falloc_keep() { op "fallocate { file_id: 1 offset_bytes: $(hex $1) length_bytes: $(hex $2) keep_size: true }"; }
begin shmem_fallocate_always_straddle_pmd "fallocate mode 0 of [2 MiB - 4 KiB, +8 KiB) on huge=always: an order-9 folio on each side of the PMD boundary, the file extended to the range's end"
file ALWAYS; falloc $((2 * MiB - PAGE)) $((2 * PAGE)); shrink
begin shmem_fallocate_within_size_straddle_pmd "fallocate mode 0 of [0x1f0000, +128 KiB) on huge=within_size: order 9 below the PMD boundary, order 4 above it (bounded by the range's end)"
file WITHIN_SIZE; falloc $((0x1f0000)) $((0x20000))
begin shmem_fallocate_keep_size_past_eof "fallocate KEEP_SIZE from inside EOF to past it on huge=within_size: folios sized by the range's end although i_size stays; a folio wholly past EOF is not seen; truncate up then shows it"
file WITHIN_SIZE; pwrite 0 $((2 * PAGE)); falloc_keep $PAGE $((62 * PAGE)); trunc $((64 * PAGE))
begin shmem_fallocate_keep_size_shrink "fallocate KEEP_SIZE of 3 MiB on huge=always over a 1-page file: the shrinker's split at EOF keeps the pieces below fallocend (shmem_fallocend)"
file ALWAYS; pwrite 0 $((0x1805)); falloc_keep 0 $((3 * MiB)); shrink; trunc $((4 * MiB))
begin shmem_fallocate_then_punch "fallocate mode 0 of 2 MiB on huge=always, then a punch of page 2: the not-uptodate folio splits as a written one does"
file ALWAYS; falloc 0 $((2 * MiB)); punch $((2 * PAGE)) $PAGE
# --- MAP_SHARED anonymous memory (shmem_zero_setup) ------------------------------
shmem_size() { echo "knob: KNOB_SHMEM_ORDER_ENABLED order: $1 value: KNOB_VALUE_$2"; }
map_shared() { op "mmap_anon { pid: $pid addr: $(at $1) length_bytes: $(hex $(($2 * PAGE))) prot: 3 flags: 1 }"; }
begin shared_anon_small_fork "MAP_SHARED anonymous memory with the shmem knobs at their defaults: order-0 pages on write faults; after fork the child maps the same pages on its own faults; MADV_DONTNEED and munmap leave the pages in the shmem file"
proc; map_shared 0 32; write 0 32; forkp 1 2; in_proc 2 write 3 2; madv 4 4 DONTNEED; unmap 8 8; write 4 1; quit 1
begin shared_anon_pmd_dontneed "MAP_SHARED anonymous memory, hugepages-2048kB/shmem_enabled advise and MADV_HUGEPAGE: a PMD-mapped shmem THP; MADV_DONTNEED of a page splits the PMD mapping only (no deferred split for shmem); the shrinker changes nothing; a write maps the page again" \
  "$(shmem_size 9 ADVISE)"
proc; map_shared 0 512; madv 0 512 HUGEPAGE; write 0 512; madv 5 1 DONTNEED; shrink; write 5 1
begin shared_anon_pmd_fork_munmap "a PMD shmem THP of MAP_SHARED anonymous memory after fork: the child faults the PMD in on its own; munmap of half of the parent's mapping; the folio stays whole" \
  "$(shmem_size 9 ADVISE)"
proc; map_shared 0 512; madv 0 512 HUGEPAGE; write 0 512; forkp 1 2; in_proc 2 write 0 1; unmap 256 256; shrink; quit 2
begin shared_anon_mthp64k "MAP_SHARED anonymous memory with hugepages-64kB/shmem_enabled advise and MADV_HUGEPAGE: 64K shmem mTHPs on write faults; a page of one zapped" \
  "$(shmem_size 4 ADVISE)"
proc; map_shared 0 64; madv 0 64 HUGEPAGE; write 0 64; madv 17 1 DONTNEED; shrink
# --- mremap (move, grow, shrink) ------------------------------------------------
# mremap_op OLD_PAGE OLD_PAGES NEW_PAGES FLAGS [NEW_PAGE]
mremap_op() {
  local to="0x0"
  [ "$4" = 3 ] && to="$(at "$5")"
  op "mremap { pid: $pid addr: $(at $1) old_length_bytes: $(hex $(($2 * PAGE))) new_length_bytes: $(hex $(($3 * PAGE))) flags: $4 new_addr: $to }"
}
begin mremap_thp_move_aligned "mremap of a whole PMD THP to another PMD-aligned address: move_huge_pmd carries the PMD as it is"
proc; thp_region 1; mremap_op 0 512 512 3 1024; shrink
begin mremap_thp_move_unaligned "mremap of a whole PMD THP to an address one page past a PMD boundary: the PMD is split (thp_split_pmd) and its PTEs moved; the folio stays whole, fully mapped, not queued"
proc; thp_region 1; mremap_op 0 512 512 3 1025; shrink
begin mremap_thp_page_out "split_pte_mapped_thp's setup: mremap of page 1 of a PMD THP elsewhere PTE-maps the THP across two VMAs; munmap of the rest leaves one page mapped: queued, and the shrinker splits it" 
proc; thp_region 1; mremap_op 1 1 1 3 2049; shrink; unmap 0 512; shrink
begin mremap_thp_shrink "mremap shrinking a PMD THP's VMA to its lower half unmaps the upper half as munmap does: PMD split, deferred split, the shrinker frees the upper half"
proc; thp_region 1; mremap_op 0 512 256 0; shrink
begin mremap_thp_grow_in_place "mremap growing a THP's VMA in place to 4 MiB: the PMD stays; the new half faults small pages (the VMA has VM_NOHUGEPAGE)"
proc; thp_region 1; mremap_op 0 512 1024 0; write 512 512
begin mremap_thp_move_grow "mremap moving a PMD THP to an aligned address and growing it to 4 MiB: the PMD moves, the rest is empty until written"
proc; thp_region 1; mremap_op 0 512 1024 3 2048; write 2560 16
begin mremap_thp_fork_move_page "after fork, the parent moves page 3 of the shared THP away: both PMDs were mapped; the parent's is split; a write by the child then copies one page (do_wp_page)"
proc; thp_region 1; forkp 1 2; mremap_op 3 1 1 3 3075; in_proc 2 write 3 1; shrink; quit 2; shrink
begin mremap_shared_anon_move "mremap of MAP_SHARED anonymous memory (order-0 shmem pages) to another address: the pages move with the mapping"
proc; map_shared 0 16; write 0 16; mremap_op 4 8 8 3 1024; write 1024 2; unmap 0 4
begin shared_anon_mthp_pin_refault_partial "a FOLL_PIN fault of the zapped pages of a partly zapped 64K shmem mTHP maps only the pages faulted: finish_fault maps a whole large folio only where all its PTEs are none (campaign seed 26006)" \
  "$(shmem_size 4 ADVISE)"
proc; map_shared 0 1024; madv 0 1024 HUGEPAGE; write 0 1024; madv 1015 9 DONTNEED; gup_pin 2 1022 2; unpin 2; write 1015 1
begin anon_small_madv_hugepage_khugepaged_asleep "512 small pages written, then MADV_HUGEPAGE: the pages stay small. khugepaged sleeps for a capture, but its untimed wait for an mm ends when the first mm is registered (__khugepaged_enter wakes it when the list was empty), so mmcapture keeps a process of its own on the list (campaign seeds 25089, 27009: a collapse at once, O-9)" \
  "knob: KNOB_ENABLED value: KNOB_VALUE_MADVISE"
proc; map 0 512; write 0 512; madv 0 512 HUGEPAGE; write 0 1; shrink
